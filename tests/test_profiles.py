"""Profiles and seeding."""

from __future__ import annotations

import numpy as np
import pytest

import course
from course.profiles import get_profile


def test_environment_variable_chooses_the_profile(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "full")
    assert get_profile().name == "full"
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    assert get_profile().name == "fast"


def test_unknown_profile_names_the_valid_ones(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "quick")
    with pytest.raises(ValueError, match="fast, full"):
        get_profile()


def test_cpu_machine_defaults_to_fast(monkeypatch):
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    monkeypatch.setattr("course.profiles.gpu_names", lambda: ())
    assert get_profile().name == "fast"
    monkeypatch.setattr("course.profiles.gpu_names", lambda: ("/physical_device:GPU:0",))
    assert get_profile().name == "full"


def test_pick_follows_the_profile():
    assert get_profile("fast").pick(fast=1, full=2) == 1
    assert get_profile("full").pick(fast=1, full=2) == 2


def test_bad_seed_is_rejected():
    with pytest.raises(ValueError, match="non-negative integer"):
        course.seed_everything(-1)


def _train_tiny_model(seed: int) -> list[float]:
    import keras

    course.seed_everything(seed)
    x = np.random.randint(0, 20, size=(64, 8))
    y = np.random.randint(0, 20, size=(64, 8))
    model = keras.Sequential(
        [keras.layers.Embedding(20, 8), keras.layers.SimpleRNN(16, return_sequences=True),
         keras.layers.Dropout(0.1), keras.layers.Dense(20)]
    )
    model.compile(
        optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    history = model.fit(x, y, batch_size=16, epochs=3, shuffle=True, verbose=0)
    return history.history["loss"]


def test_same_seed_gives_the_same_losses():
    first, second, other = _train_tiny_model(3), _train_tiny_model(3), _train_tiny_model(4)
    assert first == second
    assert first != other
