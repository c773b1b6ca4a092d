"""Training helpers shared by the chapters that train neural language models.

Chapter 03 writes training by hand (``tf.GradientTape`` and the update rule); from there on the
chapters train with Keras' ``fit`` through :func:`fit_for_steps`, which trains for a number of
steps rather than epochs and evaluates at regular points, so that every chapter's loss curves
have the same shape, whatever the size of its data.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from course.environment import quiet_tensorflow


@dataclass
class TrainingRun:
    """What :func:`fit_for_steps` measured.

    Attributes:
        steps: the step count at each evaluation.
        train_loss: mean training loss over the steps since the previous evaluation.
        validation_loss: validation loss at each evaluation (nats per token).
        seconds: wall time of training, evaluations included.
    """

    steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    validation_loss: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def curves(self) -> dict[str, tuple[list[int], list[float]]]:
        """The losses in the form ``course.plots.loss_curves`` takes."""
        return {
            "train": (self.steps, self.train_loss),
            "validation": (self.steps, self.validation_loss),
        }


def count_parameters(model: Any) -> int:
    """Number of trainable parameters of a built Keras model.

    Example:
        >>> import keras
        >>> count_parameters(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]))
        8
    """
    return int(sum(np.prod(weight.shape) for weight in model.trainable_weights))


def fit_for_steps(
    model: Any,
    train_ds: Any,
    validation_ds: Any,
    steps: int,
    evaluations: int = 10,
    validation_steps: int | None = None,
    verbose: int = 0,
) -> TrainingRun:
    """Train a compiled model for ``steps`` batches, evaluating ``evaluations`` times.

    Args:
        model: a compiled Keras model whose loss is the per-token cross-entropy.
        train_ds: training batches; repeated as needed.
        validation_ds: validation batches (evaluated whole, or ``validation_steps`` of them).
        steps: number of training steps (batches).
        evaluations: how many points the loss curves get.
        validation_steps: limit the batches per evaluation (``None``: all).
        verbose: Keras' verbosity (0 silent, 1 progress bar).

    Returns:
        A :class:`TrainingRun`.
    """
    if steps < 1 or evaluations < 1:
        raise ValueError(f"steps and evaluations must be positive, got {steps}, {evaluations}.")
    evaluations = min(evaluations, steps)
    steps_per_epoch = max(1, steps // evaluations)
    start = time.perf_counter()
    history = model.fit(
        train_ds.repeat(),
        validation_data=validation_ds,
        validation_steps=validation_steps,
        epochs=evaluations,
        steps_per_epoch=steps_per_epoch,
        shuffle=False,  # a tf.data pipeline shuffles itself; Keras warns if asked to
        verbose=verbose,
    )
    seconds = time.perf_counter() - start
    return TrainingRun(
        steps=[steps_per_epoch * (i + 1) for i in range(evaluations)],
        train_loss=[float(x) for x in history.history["loss"]],
        validation_loss=[float(x) for x in history.history["val_loss"]],
        seconds=seconds,
    )


def mean_token_loss(model: Any, dataset: Any) -> float:
    """Mean cross-entropy (nats) per target token of ``model`` over a whole dataset.

    Every target counts once, whatever the batch sizes (a plain mean of batch means would weigh
    a short last batch too much).

    Args:
        model: a model that maps inputs to logits over the vocabulary.
        dataset: ``(inputs, targets)`` batches with integer targets.

    Returns:
        The mean negative log-likelihood per target, in nats.
    """
    tf = quiet_tensorflow()
    total, count = 0.0, 0
    for inputs, targets in dataset:
        logits = model(inputs, training=False)
        losses = tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.cast(targets, tf.int32), logits=tf.cast(logits, tf.float32)
        )
        total += float(tf.reduce_sum(losses))
        count += int(tf.size(losses))
    if count == 0:
        raise ValueError("The dataset is empty: there is nothing to evaluate.")
    return total / count


def perplexity(nats: float) -> float:
    """``exp`` of a loss in nats per token.

    Example:
        >>> round(perplexity(math.log(20.0)), 6)
        20.0
    """
    return math.exp(nats)


def warmup_cosine_schedule(
    peak_learning_rate: float,
    steps: int,
    warmup_steps: int | None = None,
    final_fraction: float = 0.1,
) -> Any:
    """A learning rate that rises linearly from 0, then decays along a cosine (GPT-2's recipe).

    Chapter 07 builds this schedule and plots it; later chapters take it from here.

    Args:
        peak_learning_rate: the rate reached at the end of the warm-up.
        steps: the whole training budget, warm-up included.
        warmup_steps: how long the rise lasts; a tenth of ``steps`` when None.
        final_fraction: the rate at the last step, as a fraction of the peak.

    Returns:
        A ``keras.optimizers.schedules.LearningRateSchedule``.

    Example:
        >>> schedule = warmup_cosine_schedule(1e-3, steps=100, warmup_steps=10)
        >>> [round(float(schedule(step)), 6) for step in (0, 5, 10, 100)]
        [0.0, 0.0005, 0.001, 0.0001]
    """
    import keras

    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
        raise ValueError(f"steps must be an int of at least 2, got {steps!r}.")
    warmup = max(1, steps // 10) if warmup_steps is None else warmup_steps
    if not 0 < warmup < steps:
        raise ValueError(f"warmup_steps must be between 1 and steps - 1 = {steps - 1}, "
                         f"got {warmup}.")
    return keras.optimizers.schedules.CosineDecay(
        0.0, steps - warmup, alpha=final_fraction, warmup_target=peak_learning_rate,
        warmup_steps=warmup)
