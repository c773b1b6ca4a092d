"""course.models.encoder.build_encoder: the chapter 08 encoder as a builder."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from course.models.encoder import build_encoder


def _encoder():
    keras.utils.set_random_seed(0)
    return build_encoder(30, 6, num_layers=2, num_heads=2, hidden_dim=8, intermediate_dim=16,
                         dropout=0.0)


def test_padded_positions_are_invisible_and_real_ones_are_seen_both_ways():
    encoder = _encoder()
    ids = np.array([[5, 6, 7, 0, 0, 0]], "int32")
    segments = np.zeros_like(ids)
    out = keras.ops.convert_to_numpy(encoder([ids, segments]))
    # different vectors at the padded positions only (their segment changes): no effect
    other_segments = np.array([[0, 0, 0, 1, 1, 1]], "int32")
    same = keras.ops.convert_to_numpy(encoder([ids, other_segments]))
    assert np.abs(same[0, :3] - out[0, :3]).max() < 1e-5
    # a change at a later real position moves the earlier ones: the encoder reads both ways
    later = ids.copy()
    later[0, 2] = 9
    moved = keras.ops.convert_to_numpy(encoder([later, segments]))
    assert np.abs(moved[0, :2] - out[0, :2]).max() > 1e-4


def test_round_trip_through_a_keras_file(tmp_path):
    encoder = _encoder()
    ids = np.array([[1, 2, 3, 4, 0, 0]], "int32")
    before = keras.ops.convert_to_numpy(encoder([ids, np.zeros_like(ids)]))
    encoder.save(tmp_path / "encoder.keras")
    again = keras.models.load_model(tmp_path / "encoder.keras")
    after = keras.ops.convert_to_numpy(again([ids, np.zeros_like(ids)]))
    assert np.allclose(before, after, atol=1e-6)


def test_bad_sizes_are_explained():
    with pytest.raises(ValueError, match="multiple of num_heads"):
        build_encoder(30, 6, 1, 3, 8, 16)
    with pytest.raises(ValueError, match="padding_id"):
        build_encoder(30, 6, 1, 2, 8, 16, padding_id=30)
    with pytest.raises(ValueError, match="num_layers"):
        build_encoder(30, 6, 0, 2, 8, 16)
