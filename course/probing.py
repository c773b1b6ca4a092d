"""Looking inside a trained model, and testing it from outside (chapter 13).

Three tools, each with the control that keeps it honest:

* a **linear probe**: logistic regression from a model's hidden states to a property of the
  text (inside parentheses, inside quotes). It only means something against a baseline: the
  majority class, and the same probe trained on shuffled labels, which measures how much a
  probe of this size can fit to noise;
* **unit correlations** and **gradient x input**: which single unit follows a property, and
  which input tokens a prediction depends on (to first order), to compare with attention maps
  through a **rank correlation**;
* a **template probe**: the same sentences with one word swapped (a name, a nationality, a
  pronoun), and the spread of the model's scores over the swapped words.

Everything here is NumPy, except :func:`gradient_times_input`, which needs TensorFlow's
gradient tape (the kit's backend).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


def _as_features(features: Any, name: str = "features") -> np.ndarray:
    array = np.asarray(features, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] == 0:
        raise ValueError(
            f"{name} must be a 2-D array (examples, units) with at least one row, got shape "
            f"{array.shape}; reshape hidden states of shape (batch, time, units) with "
            ".reshape(-1, units)."
        )
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinite values; check the model's outputs.")
    return array


def _as_binary_labels(labels: Any, rows: int) -> np.ndarray:
    array = np.asarray(labels)
    if array.shape != (rows,):
        raise ValueError(
            f"labels must have one entry per row of the features, shape ({rows},), got "
            f"{array.shape}."
        )
    if not np.isin(array, (0, 1)).all():
        raise ValueError(
            f"labels must be 0 or 1 (a binary property), got the values {np.unique(array)[:6]}; "
            "threshold a numeric property first, e.g. labels = column >= 40."
        )
    return array.astype(np.float64)


def majority_accuracy(labels: Any) -> float:
    """Accuracy of always answering the most frequent label: what a probe must beat.

    Args:
        labels: 0/1 labels.

    Returns:
        The share of the most frequent label.

    Example:
        >>> majority_accuracy([0, 0, 0, 1])
        0.75
    """
    array = np.asarray(labels, dtype=np.float64)
    if array.size == 0:
        raise ValueError("majority_accuracy() got no labels.")
    share = float(array.mean())
    return max(share, 1.0 - share)


@dataclass
class LinearProbe:
    """Logistic regression from hidden states to a binary property of the input.

    Fitted by Newton's method with a small L2 penalty, on standardised features (each unit
    centred and scaled by its spread on the training rows), so it is deterministic and needs no
    learning rate.

    Attributes:
        mean: per-unit mean of the training features.
        scale: per-unit standard deviation of the training features (1 where it was 0).
        weights: ``(units,)`` weights on the standardised features.
        bias: the intercept.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> states = rng.normal(size=(400, 5))
        >>> labels = (states[:, 2] > 0).astype(int)  # unit 2 carries the property
        >>> probe = LinearProbe.fit(states[:300], labels[:300])
        >>> probe.accuracy(states[300:], labels[300:]) > 0.9
        True
        >>> int(np.argmax(np.abs(probe.weights)))
        2
    """

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    @classmethod
    def fit(cls, features: Any, labels: Any, l2: float = 1.0, steps: int = 25) -> LinearProbe:
        """Fit the probe.

        Args:
            features: ``(examples, units)`` hidden states.
            labels: ``(examples,)`` 0/1 labels.
            l2: the penalty ``l2 / 2 * |w|^2`` on the weights, summed over the whole fit (not
                per example, so more rows weigh more against it); it keeps a separable problem
                finite.
            steps: Newton steps (the loss is convex; 25 is plenty).

        Returns:
            The fitted :class:`LinearProbe`.
        """
        x = _as_features(features)
        y = _as_binary_labels(labels, len(x))
        if l2 < 0:
            raise ValueError(f"l2 must be >= 0, got {l2}.")
        mean = x.mean(axis=0)
        scale = x.std(axis=0)
        scale[scale == 0] = 1.0
        design = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])  # (examples, units + 1)
        theta = np.zeros(design.shape[1])
        penalty = l2 * np.eye(design.shape[1])
        penalty[-1, -1] = 0.0  # the intercept is not penalised
        for _ in range(steps):
            p = 1.0 / (1.0 + np.exp(-np.clip(design @ theta, -30, 30)))
            gradient = design.T @ (p - y) + penalty @ theta
            hessian = (design * (p * (1 - p))[:, None]).T @ design + penalty
            theta -= np.linalg.solve(hessian + 1e-9 * np.eye(len(theta)), gradient)
        return cls(mean, scale, theta[:-1], float(theta[-1]))

    def probabilities(self, features: Any) -> np.ndarray:
        """P(label = 1) for each row.

        Args:
            features: ``(examples, units)`` hidden states, the units of :meth:`fit`.

        Returns:
            ``(examples,)`` probabilities.
        """
        x = _as_features(features)
        if x.shape[1] != len(self.weights):
            raise ValueError(
                f"The probe was fitted on {len(self.weights)} units, got features with "
                f"{x.shape[1]}."
            )
        return 1.0 / (1.0 + np.exp(-np.clip((x - self.mean) / self.scale @ self.weights
                                            + self.bias, -30, 30)))

    def accuracy(self, features: Any, labels: Any) -> float:
        """Share of rows where the probe's answer (probability above 0.5) is the label.

        Args:
            features: ``(examples, units)`` hidden states.
            labels: ``(examples,)`` 0/1 labels.

        Returns:
            The accuracy, in [0, 1].
        """
        y = _as_binary_labels(labels, len(np.asarray(features)))
        return float(((self.probabilities(features) > 0.5) == (y > 0.5)).mean())


@dataclass
class ProbeReport:
    """A probe's held-out accuracy beside the two numbers it must beat.

    Attributes:
        accuracy: the probe's accuracy on the test rows.
        majority: always answering the training rows' most frequent label, scored on the test
            rows.
        shuffled: the same probe fitted on the training rows with their labels shuffled, scored
            on the test rows: what a probe of this size gets from fitting noise.
    """

    accuracy: float
    majority: float
    shuffled: float

    def __str__(self) -> str:
        return (f"probe {self.accuracy:.3f}, majority class {self.majority:.3f}, "
                f"probe on shuffled labels {self.shuffled:.3f}")


def probe_report(
    train_features: Any,
    train_labels: Any,
    test_features: Any,
    test_labels: Any,
    seed: int = 0,
    l2: float = 1.0,
) -> ProbeReport:
    """Fit a :class:`LinearProbe` and score it against its two controls on held-out rows.

    Args:
        train_features: ``(examples, units)`` hidden states to fit on.
        train_labels: their 0/1 labels.
        test_features: held-out hidden states (from other text).
        test_labels: their 0/1 labels.
        seed: seed of the label shuffle.
        l2: the probe's L2 penalty.

    Returns:
        A :class:`ProbeReport`.

    Example:
        >>> rng = np.random.default_rng(1)
        >>> states = rng.normal(size=(600, 8))
        >>> labels = (states[:, 0] + states[:, 1] > 0).astype(int)
        >>> report = probe_report(states[:400], labels[:400], states[400:], labels[400:])
        >>> report.accuracy > 0.9 and report.shuffled < 0.7
        True
    """
    probe = LinearProbe.fit(train_features, train_labels, l2=l2)
    shuffled_labels = np.random.default_rng(seed).permutation(np.asarray(train_labels))
    shuffled = LinearProbe.fit(train_features, shuffled_labels, l2=l2)
    y_test = _as_binary_labels(test_labels, len(np.asarray(test_features)))
    majority_label = float(np.asarray(train_labels, dtype=np.float64).mean() >= 0.5)
    return ProbeReport(
        accuracy=probe.accuracy(test_features, y_test),
        majority=float((y_test == majority_label).mean()),
        shuffled=shuffled.accuracy(test_features, y_test),
    )


def unit_correlations(features: Any, target: Any) -> np.ndarray:
    """Pearson correlation of each unit with a numeric property, one number per unit.

    A unit that never varies gets 0 (it cannot follow anything).

    Args:
        features: ``(examples, units)`` activations.
        target: ``(examples,)`` numbers (a 0/1 property, a column number, a depth).

    Returns:
        ``(units,)`` correlations in [-1, 1]; ``np.argmax(np.abs(...))`` is the best unit.

    Example:
        >>> x = np.array([[1.0, 5.0, 0.0], [2.0, 5.0, 1.0], [3.0, 5.0, 0.0]])
        >>> unit_correlations(x, [10, 20, 30]).round(3).tolist()
        [1.0, 0.0, 0.0]
    """
    x = _as_features(features)
    y = np.asarray(target, dtype=np.float64)
    if y.shape != (len(x),):
        raise ValueError(f"target must have shape ({len(x)},), one value per row, got {y.shape}.")
    xc, yc = x - x.mean(axis=0), y - y.mean()
    denominator = np.sqrt((xc**2).sum(axis=0) * (yc**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = (xc * yc[:, None]).sum(axis=0) / denominator
    return np.where(denominator > 0, correlation, 0.0)


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties sharing the average of their ranks."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.arange(1, len(values) + 1)
    unique, inverse = np.unique(values, return_inverse=True)
    if len(unique) < len(values):
        sums = np.bincount(inverse, weights=ranks)
        counts = np.bincount(inverse)
        ranks = (sums / counts)[inverse]
    return ranks


def rank_correlation(a: Any, b: Any) -> float:
    """Spearman's rank correlation: the Pearson correlation of the two sequences' ranks.

    It asks "do the two orderings agree?", not "are the values proportional?", which is the
    right question for two importance scores on different scales (an attention weight and a
    gradient). Tied values share their average rank; a constant sequence gives 0.

    Args:
        a: one score per item.
        b: another score per item, the same length (at least 2).

    Returns:
        A number in [-1, 1]: 1 for the same order, -1 for reversed.

    Example:
        >>> rank_correlation([1, 2, 3, 4], [10, 20, 30, 400])
        1.0
        >>> rank_correlation([1, 2, 3], [3, 2, 1])
        -1.0
    """
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 2:
        raise ValueError(
            f"rank_correlation() needs two 1-D sequences of the same length (at least 2), got "
            f"shapes {x.shape} and {y.shape}."
        )
    return float(unit_correlations(_ranks(x)[:, None], _ranks(y))[0])


def gradient_times_input(score: Callable[[Any], Any], inputs: Any) -> np.ndarray:
    """Gradient x input: how much each input vector contributes to a score, to first order.

    For a score :math:`s(x_1, \\dots, x_T)` of input vectors (token embeddings), the
    attribution of position :math:`t` is :math:`\\nabla_{x_t} s \\cdot x_t`: the first-order
    change of the score when :math:`x_t` is replaced by zeros. Unlike an attention weight, it
    follows every path from the input to the score.

    Args:
        score: maps ``(batch, time, dim)`` inputs to ``(batch,)`` scores (e.g. the logit of
            the predicted class minus the other's); it must be differentiable in TensorFlow.
        inputs: ``(batch, time, dim)`` float inputs.

    Returns:
        ``(batch, time)`` attributions (NumPy).

    Example:
        >>> x = np.array([[[1.0, 2.0], [3.0, 0.0]]], "float32")  # (batch 1, time 2, dim 2)
        >>> from keras import ops
        >>> score = lambda v: ops.sum(2.0 * v[..., 0] + v[..., 1], axis=1)  # linear: exact
        >>> gradient_times_input(score, x).tolist()
        [[4.0, 6.0]]
    """
    import tensorflow as tf

    x = tf.convert_to_tensor(np.asarray(inputs, dtype=np.float32))
    if len(x.shape) != 3:
        raise ValueError(
            f"inputs must be (batch, time, dim) vectors such as token embeddings, got shape "
            f"{tuple(x.shape)}."
        )
    with tf.GradientTape() as tape:
        tape.watch(x)
        scores = tf.convert_to_tensor(score(x))
        if len(scores.shape) != 1:
            raise ValueError(
                f"score must return one number per example, shape (batch,), got "
                f"{tuple(scores.shape)}; select one logit or a difference of logits."
            )
        total = tf.reduce_sum(scores)
    gradient = tape.gradient(total, x)
    if gradient is None:
        raise ValueError("The score does not depend on the inputs: no gradient reached them.")
    return (gradient * x).numpy().sum(axis=-1)


@dataclass
class TemplateProbe:
    """A model's scores on the same sentences with one word swapped.

    Attributes:
        fillers: the words put into the slot (names, nationalities, pronouns).
        templates: the sentences, each with one ``{}`` slot.
        scores: ``(templates, fillers)`` the model's score (e.g. P(positive)) for each sentence.
    """

    fillers: list[str]
    templates: list[str]
    scores: np.ndarray

    def per_filler(self) -> dict[str, float]:
        """The mean score of each filler over the templates."""
        return {word: float(value) for word, value in zip(self.fillers, self.scores.mean(axis=0),
                                                           strict=True)}

    @property
    def spread(self) -> float:
        """The largest difference between two fillers' mean scores."""
        means = self.scores.mean(axis=0)
        return float(means.max() - means.min())


def template_probe(
    score: Callable[[list[str]], Any], templates: Sequence[str], fillers: Sequence[str]
) -> TemplateProbe:
    """Score every template with every filler in its slot.

    Args:
        score: maps a list of sentences to one score each (e.g. P(positive)).
        templates: sentences with exactly one ``{}`` where the filler goes.
        fillers: the words to swap in.

    Returns:
        A :class:`TemplateProbe`; its ``spread`` is the largest gap between two fillers' mean
        scores. A gap is evidence that the model treats the words differently in these
        sentences; a small gap is no proof that it never does.

    Example:
        >>> def positive(sentences):  # a "model" that likes Ann
        ...     return [0.9 if "ann" in s else 0.5 for s in sentences]
        >>> probe = template_probe(positive, ["{} was here .", "i met {} ."], ["ann", "bob"])
        >>> probe.per_filler(), round(probe.spread, 3)
        ({'ann': 0.9, 'bob': 0.5}, 0.4)
    """
    templates, fillers = list(templates), list(fillers)
    if not templates or len(fillers) < 2:
        raise ValueError(
            f"template_probe() needs at least one template and two fillers to compare, got "
            f"{len(templates)} and {len(fillers)}."
        )
    for template in templates:
        if template.count("{}") != 1:
            raise ValueError(f"Each template needs exactly one '{{}}' slot, got {template!r}.")
    sentences = [template.format(word) for template in templates for word in fillers]
    values = np.asarray(score(sentences), dtype=np.float64).reshape(-1)
    if len(values) != len(sentences):
        raise ValueError(f"score returned {len(values)} values for {len(sentences)} sentences.")
    return TemplateProbe(fillers, templates, values.reshape(len(templates), len(fillers)))
