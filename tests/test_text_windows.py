"""Language-model windows: next-token targets, no train/validation leakage, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from course.text import language_model_datasets, make_windows, split_tokens


def collect(dataset):
    inputs, targets = [], []
    for x, y in dataset:
        inputs.append(x.numpy())
        targets.append(y.numpy())
    return np.concatenate(inputs), np.concatenate(targets)


def test_split_tokens_keeps_the_tail_for_validation():
    train, validation = split_tokens(np.arange(100), validation_fraction=0.25)
    assert train.tolist() == list(range(75))
    assert validation.tolist() == list(range(75, 100))
    assert train.dtype == validation.dtype == np.int32


@pytest.mark.parametrize("fraction", [-0.1, 1.0, 1.5])
def test_split_tokens_fraction_out_of_range(fraction):
    with pytest.raises(ValueError, match=f"validation_fraction={fraction}"):
        split_tokens(np.arange(10), validation_fraction=fraction)


@pytest.mark.parametrize("stride", [None, 1, 3, 7])
def test_targets_are_inputs_shifted_by_one(stride):
    ids = np.arange(50) * 7 % 23  # not a plain range, so a shift cannot hide
    inputs, targets = make_windows(ids, sequence_length=6, stride=stride)
    step = 6 if stride is None else stride
    assert inputs.shape == targets.shape == (len(inputs), 6)
    assert len(inputs) == (50 - 6 - 1) // step + 1
    for i in range(len(inputs)):
        start = i * step
        assert inputs[i].tolist() == ids[start : start + 6].tolist()
        assert targets[i][:-1].tolist() == inputs[i][1:].tolist()
        assert targets[i][-1] == ids[start + 6]  # the id that follows the window


def test_make_windows_uses_only_full_windows():
    inputs, targets = make_windows(np.arange(9), sequence_length=4)
    assert inputs.tolist() == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert targets.tolist() == [[1, 2, 3, 4], [5, 6, 7, 8]]


def test_sequence_too_long_is_a_clear_error():
    with pytest.raises(ValueError, match=r"sequence_length=10 is too long.*needs.*11.*only 5"):
        make_windows(np.arange(5), sequence_length=10)
    with pytest.raises(ValueError, match="validation ids"):
        language_model_datasets(np.arange(100), sequence_length=10, batch_size=4)


def test_no_window_crosses_the_split():
    ids = np.arange(1000)
    train_ds, validation_ds = language_model_datasets(
        ids, sequence_length=16, batch_size=8, validation_fraction=0.2, stride=3
    )
    train_x, train_y = collect(train_ds)
    validation_x, validation_y = collect(validation_ds)
    # With ids = positions, every train id (input or target) lies before the validation part.
    assert max(train_x.max(), train_y.max()) < 800
    assert min(validation_x.min(), validation_y.min()) >= 800
    assert np.array_equal(train_y[:, :-1], train_x[:, 1:])
    assert np.all(train_y[:, -1] == train_x[:, -1] + 1)


def test_dataset_sizes_shapes_and_validation_order():
    ids = np.arange(1000)
    train_ds, validation_ds = language_model_datasets(
        ids, sequence_length=10, batch_size=7, validation_fraction=0.1
    )
    train_x, train_y = collect(train_ds)
    validation_x, validation_y = collect(validation_ds)
    expected_train, _ = make_windows(ids[:900], 10)
    expected_validation = make_windows(ids[900:], 10)
    assert train_x.shape == expected_train.shape == (89, 10)
    assert sorted(map(tuple, train_x.tolist())) == sorted(map(tuple, expected_train.tolist()))
    assert np.array_equal(validation_x, expected_validation[0])  # not shuffled
    assert np.array_equal(validation_y, expected_validation[1])
    first_x, _ = next(iter(train_ds))
    assert first_x.shape == (7, 10)
    assert first_x.dtype.name == "int32"
    assert validation_ds.options().autotune.enabled is False


def test_training_shuffle_is_deterministic_for_a_seed():
    ids = np.arange(500)
    a, _ = language_model_datasets(ids, sequence_length=5, batch_size=4, seed=1)
    b, _ = language_model_datasets(ids, sequence_length=5, batch_size=4, seed=1)
    c, _ = language_model_datasets(ids, sequence_length=5, batch_size=4, seed=2)
    first_a, first_b, first_c = collect(a)[0], collect(b)[0], collect(c)[0]
    assert np.array_equal(first_a, first_b)
    assert not np.array_equal(first_a, first_c)
    assert not np.array_equal(first_a, np.sort(first_a, axis=0))  # it is shuffled


def test_bad_arguments():
    with pytest.raises(ValueError, match="validation_fraction=0"):
        language_model_datasets(np.arange(100), 4, 2, validation_fraction=0)
    with pytest.raises(ValueError, match="batch_size=0"):
        language_model_datasets(np.arange(100), 4, 0)
    with pytest.raises(ValueError, match="1-D"):
        make_windows(np.zeros((3, 3), dtype=int), 2)
    with pytest.raises(TypeError, match="integer"):
        make_windows(np.linspace(0, 1, 10), 2)
