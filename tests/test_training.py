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
