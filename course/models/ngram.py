"""A count-based n-gram language model with add-k smoothing and interpolation (chapter 02).

The probability of the next token ``w`` given the previous ``n - 1`` tokens ``h`` is estimated from
counts in the training text:

    P_k(w | h) = (count(h, w) + k) / (count(h) + k * V)

where ``V`` is the vocabulary size and ``k > 0`` keeps unseen pairs from getting probability zero.
With interpolation, the estimates of every order from 1 to ``n`` are mixed with weights that sum
to one, so a rare long context leans on the shorter ones.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np


class NGramLanguageModel:
    """An n-gram model over integer token ids.

    Args:
        order: ``n``, the number of tokens in an n-gram (2 = bigram: one token of context).
        vocabulary_size: ``V``, the number of distinct token ids (ids are ``0 .. V-1``).
        k: the add-k smoothing constant, ``k > 0``.
        weights: interpolation weights for orders ``1..n`` (low to high), summing to one; ``None``
            uses only the highest order (plain add-k).

    Example:
        >>> model = NGramLanguageModel(order=2, vocabulary_size=3, k=1.0).fit([0, 1, 0, 1, 0, 2])
        >>> round(model.probability([0], 1), 4)  # (count(0,1) + 1) / (count(0) + 3)
        0.5
        >>> round(float(model.distribution([0]).sum()), 6)
        1.0
    """

    def __init__(
        self,
        order: int,
        vocabulary_size: int,
        k: float = 0.1,
        weights: Sequence[float] | None = None,
    ):
        if not isinstance(order, int) or order < 1:
            raise ValueError(f"order must be an integer >= 1, got {order!r}.")
        if vocabulary_size < 1:
            raise ValueError(f"vocabulary_size must be positive, got {vocabulary_size!r}.")
        if not k > 0:
            raise ValueError(
                f"k must be positive (k = 0 gives unseen n-grams probability 0), got {k!r}."
            )
        if weights is not None:
            weights = [float(w) for w in weights]
            if len(weights) != order or abs(sum(weights) - 1) > 1e-6 or min(weights) < 0:
                raise ValueError(
                    f"weights must be {order} non-negative numbers summing to 1 "
                    f"(orders 1..{order}), got {weights!r}."
                )
        self.order = order
        self.vocabulary_size = vocabulary_size
        self.k = k
        self.weights = weights
        # counts[m][context] -> Counter of next tokens, for context lengths m = 0 .. order-1.
        self.counts: list[dict[tuple[int, ...], Counter]] = [
            defaultdict(Counter) for _ in range(order)
        ]
        self.totals: list[Counter] = [Counter() for _ in range(order)]

    def fit(self, tokens: Sequence[int]) -> NGramLanguageModel:
        """Count every n-gram of every order up to ``order`` in ``tokens``.

        Args:
            tokens: the training sequence of ids.

        Returns:
            The model itself, so ``model = NGramLanguageModel(...).fit(ids)`` works.
        """
        self._count(self._checked(tokens))
        return self

    def _checked(self, tokens: Sequence[int]) -> list[int]:
        """``tokens`` as ints, after checking that every one is in the vocabulary."""
        tokens = [int(t) for t in tokens]
        if tokens and (min(tokens) < 0 or max(tokens) >= self.vocabulary_size):
            raise ValueError(
                f"token ids must lie in 0..{self.vocabulary_size - 1}; found {min(tokens)}.."
                f"{max(tokens)}. Pass the tokenizer's vocabulary_size()."
            )
        return tokens

    def _count(self, tokens: list[int], start: int = 0) -> None:
        """Add the n-grams of every order that end at the positions ``start..`` of ``tokens``.

        The tokens before ``start`` serve as context only, so counting a text in two pieces
        (``_count(ids[:cut])``, then ``_count(ids, start=cut)``) gives the counts of the whole.
        Each order's n-grams are counted at once (``Counter`` over ``zip``), then split into
        context and next token.
        """
        for m in range(self.order):
            first = max(m, start)  # the first position whose token is counted
            if first >= len(tokens):
                continue
            window = tokens[first - m :]
            grams = Counter(zip(*(window[j:] for j in range(m + 1)), strict=False))
            counts, totals = self.counts[m], self.totals[m]
            for gram, count in grams.items():
                context = gram[:-1]
                counts[context][gram[-1]] += count
                totals[context] += count

    @property
    def num_parameters(self) -> int:
        """How many counts the model stores (its "parameters")."""
        return sum(len(next_counts) for level in self.counts for next_counts in level.values())

    def _add_k(self, m: int, context: tuple[int, ...]) -> np.ndarray:
        counts = self.counts[m].get(context)
        row = np.full(self.vocabulary_size, self.k, dtype=np.float64)
        if counts:
            for token, count in counts.items():
                row[token] += count
        return row / row.sum()

    def distribution(self, context: Sequence[int]) -> np.ndarray:
        """The probability of every next token after ``context`` (its last ``n-1`` tokens count).

        Args:
            context: the preceding token ids; shorter than ``n-1`` at the start of a text.

        Returns:
            An array of ``vocabulary_size`` probabilities summing to one.
        """
        context = tuple(int(t) for t in context)[-(self.order - 1) :] if self.order > 1 else ()
        longest = len(context)
        if self.weights is None:
            return self._add_k(longest, context)
        mixed = np.zeros(self.vocabulary_size)
        weights = self.weights[: longest + 1]
        norm = sum(weights)
        for m, weight in enumerate(weights):
            if weight:
                mixed += weight / norm * self._add_k(m, context[longest - m :] if m else ())
        return mixed

    def probability(self, context: Sequence[int], token: int) -> float:
        """``P(token | context)``, the same number as ``distribution(context)[token]``.

        Computed from the counts of ``token`` alone (the whole distribution is not built), so
        scoring a long text is fast.
        """
        context = tuple(int(t) for t in context)[-(self.order - 1) :] if self.order > 1 else ()
        token = int(token)
        longest = len(context)
        if self.weights is None:
            return self._add_k_one(longest, context, token)
        weights = self.weights[: longest + 1]
        norm = sum(weights)
        return sum(
            weight / norm * self._add_k_one(m, context[longest - m :] if m else (), token)
            for m, weight in enumerate(weights)
            if weight
        )

    def _add_k_one(self, m: int, context: tuple[int, ...], token: int) -> float:
        counts = self.counts[m].get(context)
        count = counts[token] if counts else 0
        total = self.totals[m][context] if counts else 0
        return (count + self.k) / (total + self.k * self.vocabulary_size)

    def negative_log_likelihood(
        self, tokens: Sequence[int], context: Sequence[int] = ()
    ) -> float:
        """Total ``-log P`` (nats) of a sequence, each token given the ones before it.

        Args:
            tokens: the ids to score (held-out text for a fair measurement).
            context: ids that precede ``tokens`` (such as the end of the training text): they
                condition the first predictions but are not scored.

        Returns:
            The sum over the positions of ``tokens``; divide by ``len(tokens)`` for
            cross-entropy per token.
        """
        stream = [int(t) for t in context] + [int(t) for t in tokens]
        total = 0.0
        for i in range(len(stream) - len(tokens), len(stream)):
            total -= math.log(self.probability(stream[max(0, i - self.order + 1) : i], stream[i]))
        return total

    def perplexity(self, tokens: Sequence[int]) -> float:
        """``exp`` of the mean negative log-likelihood per token.

        Example:
            >>> NGramLanguageModel(1, 4, k=1.0).fit([]).perplexity([0, 1, 2, 3])  # uniform
            4.0
        """
        return math.exp(self.negative_log_likelihood(tokens) / len(tokens))

    def sample(
        self,
        context: Sequence[int],
        num_tokens: int,
        temperature: float = 1.0,
        seed: int | None = None,
    ) -> list[int]:
        """Generate ``num_tokens`` ids after ``context``, one at a time.

        Args:
            context: the prompt's ids.
            num_tokens: how many to generate.
            temperature: below 1 sharpens the distribution, above 1 flattens it.
            seed: for repeatable samples.

        Returns:
            The generated ids (without the prompt).
        """
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature!r}.")
        rng = np.random.default_rng(seed)
        history = [int(t) for t in context]
        generated = []
        for _ in range(num_tokens):
            probabilities = self.distribution(history) ** (1.0 / temperature)
            token = int(rng.choice(self.vocabulary_size, p=probabilities / probabilities.sum()))
            generated.append(token)
            history.append(token)
        return generated


def tune_mixture(probabilities: np.ndarray, steps: int = 30) -> np.ndarray:
    """Interpolation weights that maximise the likelihood of held-out tokens, by EM.

    Each step gives every order the average share it contributed to the mixed probability of
    each token, ``r[t, m] = w[m] P_m(t) / sum_j w[j] P_j(t)``; no step lowers the likelihood.
    (Chapter 02 writes this loop itself and checks it against this function.)

    Args:
        probabilities: ``(tokens, orders)``: the probability each order's model gave each
            held-out token.
        steps: EM updates, from equal weights.

    Returns:
        The weights, one per column, summing to one.

    Example:
        >>> p = np.array([[0.5, 0.1], [0.5, 0.1], [0.1, 0.9]])
        >>> weights = tune_mixture(p)
        >>> bool(weights[0] > weights[1]), round(float(weights.sum()), 6)
        (True, 1.0)
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if probabilities.ndim != 2 or probabilities.shape[0] == 0:
        raise ValueError(
            f"probabilities must be a (tokens, orders) array with at least one token, got shape "
            f"{probabilities.shape}."
        )
    weights = np.full(probabilities.shape[1], 1 / probabilities.shape[1])
    for _ in range(steps):
        shares = probabilities * weights  # (tokens, orders)
        shares /= shares.sum(axis=1, keepdims=True)
        weights = shares.mean(axis=0)
    return weights / weights.sum()


def best_ngram(
    train_ids: Sequence[int],
    vocabulary_size: int,
    max_order: int = 6,
    k: float = 0.001,
    tuning_fraction: float = 0.1,
    em_steps: int = 30,
) -> NGramLanguageModel:
    """The best interpolated n-gram model, every choice made on the training text alone.

    The recipe of chapter 02, for the chapters that compare against it: hold the last
    ``tuning_fraction`` of the training ids out of counting (the *tuning slice*), tune the
    interpolation weights of every order ``n <= max_order`` on it by EM, choose the ``n`` with
    the lowest tuning loss, then count the whole training text with those weights. The
    validation text plays no part, so scoring the model on it is an honest test.

    Args:
        train_ids: the training ids.
        vocabulary_size: the number of distinct ids.
        max_order: the highest order tried.
        k: the add-k constant of every component (small: the lower orders do the smoothing).
        tuning_fraction: the share of the training ids held out to tune the weights.
        em_steps: EM updates per mixture.

    Returns:
        A fitted :class:`NGramLanguageModel` (its ``order`` and ``weights`` are the choices).

    Example:
        >>> model = best_ngram([0, 1, 2, 3] * 100, 4, max_order=3)
        >>> model.order >= 2, model.probability([0, 1], 2) > 0.9
        (True, True)
    """
    if not 0 < tuning_fraction < 1:
        raise ValueError(f"tuning_fraction must be in (0, 1), got {tuning_fraction!r}.")
    # One count of the counting slice serves every order: the counts of order m are the same
    # whichever order the model has, so the add-k model of order m is the first m levels.
    counted = NGramLanguageModel(max_order, vocabulary_size, k=k)
    ids = counted._checked(train_ids)  # the tuning slice too, as when the whole text was fitted
    cut = int(len(ids) * (1 - tuning_fraction))
    counting, tuning = ids[:cut], ids[cut:]
    if not counting or not tuning:
        raise ValueError(
            f"{len(ids)} training ids are too few to hold out a tuning slice of "
            f"{tuning_fraction:.0%}; pass more text."
        )
    counted._count(counting)
    probabilities = np.empty((len(tuning), max_order))  # (tuning tokens, order)
    for m in range(1, max_order + 1):
        history = counting[-(m - 1) :] if m > 1 else []
        stream = history + tuning
        offset = len(history)
        probabilities[:, m - 1] = [  # what NGramLanguageModel(m, ...).probability gives
            counted._add_k_one(min(t, m - 1), tuple(stream[max(0, t - m + 1) : t]), stream[t])
            for t in range(offset, len(stream))
        ]
    best, best_loss, best_weights = 1, math.inf, None
    for n in range(1, max_order + 1):
        weights = tune_mixture(probabilities[:, :n], em_steps)
        loss = float(-np.log(probabilities[:, :n] @ weights).mean())
        if loss < best_loss:
            best, best_loss, best_weights = n, loss, weights
    counted._count(ids, start=cut)  # the tuning slice too: the counts of the whole text
    model = NGramLanguageModel(best, vocabulary_size, k=k, weights=best_weights)
    model.counts, model.totals = counted.counts[:best], counted.totals[:best]
    return model
