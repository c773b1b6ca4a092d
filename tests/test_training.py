"""Training helpers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course.training import TrainingRun, count_parameters, fit_for_steps, mean_token_loss


def _tiny_language_model(vocabulary_size: int = 12):
    import keras

    model = keras.Sequential(
        [keras.Input((6,), dtype="int32"), keras.layers.Embedding(vocabulary_size, 8),
         keras.layers.Dense(vocabulary_size)]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def _datasets():
    from course.text import window_datasets

    ids = np.tile(np.arange(12), 60)  # a perfectly predictable stream
    return window_datasets(ids[:600], ids[600:], sequence_length=6, batch_size=16)


def test_fit_for_steps_learns_and_records_curves():
    import course

    course.seed_everything(0)
    model = _tiny_language_model()
    train_ds, validation_ds = _datasets()
    run = fit_for_steps(model, train_ds, validation_ds, steps=60, evaluations=3)
    assert isinstance(run, TrainingRun)
    assert run.steps == [20, 40, 60]
    assert len(run.train_loss) == len(run.validation_loss) == 3
    assert run.validation_loss[-1] < run.validation_loss[0] < math.log(12) + 0.5
    assert run.seconds > 0
    assert set(run.curves()) == {"train", "validation"}


def test_mean_token_loss_weighs_every_target_once():
    import course

    course.seed_everything(0)
    model = _tiny_language_model()
    _, validation_ds = _datasets()
    per_batch = [model.evaluate(x, y, verbose=0) for x, y in validation_ds]
    sizes = [int(np.prod(y.shape)) for _, y in validation_ds]
    expected = float(np.average(per_batch, weights=sizes))
    assert mean_token_loss(model, validation_ds) == pytest.approx(expected, rel=1e-4)
    assert count_parameters(model) == 12 * 8 + 8 * 12 + 12


def test_bad_step_counts_are_explained():
    with pytest.raises(ValueError, match="positive"):
        fit_for_steps(None, None, None, steps=0)


def test_warmup_cosine_schedule_rises_then_decays():
    from course.training import warmup_cosine_schedule

    schedule = warmup_cosine_schedule(2e-3, steps=200)  # warm-up: a tenth, 20 steps
    rates = [float(schedule(step)) for step in range(201)]
    assert rates[0] == 0.0 and abs(rates[20] - 2e-3) < 1e-9 and abs(rates[200] - 2e-4) < 1e-9
    assert all(a <= b for a, b in zip(rates[:20], rates[1:21], strict=True))
    assert all(a >= b for a, b in zip(rates[20:-1], rates[21:], strict=True))
    with pytest.raises(ValueError, match="warmup_steps"):
        warmup_cosine_schedule(1e-3, steps=10, warmup_steps=10)
    with pytest.raises(ValueError, match="steps must be"):
        warmup_cosine_schedule(1e-3, steps=1)
