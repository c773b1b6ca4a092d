"""The cost formulas of course.costs, against Keras' own parameter count and a count by hand."""

import numpy as np
import pytest

from course.costs import (
    GPTShape,
    gpt_forward_flops,
    gpt_parameters,
    gpt_training_flops,
    kv_cache_bytes,
    non_embedding_parameters,
    six_n_d,
    training_state_bytes,
)
from course.models.gpt import GPT
from course.training import count_parameters


@pytest.mark.parametrize(
    "config",
    [
        dict(vocabulary_size=10, sequence_length=4, num_layers=1, num_heads=1, hidden_dim=2,
             intermediate_dim=3),
        dict(vocabulary_size=90, sequence_length=32, num_layers=2, num_heads=4, hidden_dim=32,
             intermediate_dim=128),
    ],
)
def test_parameters_equal_what_keras_counts(config):
    model = GPT(**config)
    model(np.zeros((1, config["sequence_length"]), "int32"))
    assert gpt_parameters(GPTShape.of(model)) == count_parameters(model)


def test_forward_flops_equal_a_count_by_hand():
    # V = 10, T = 4, one block, d = 2, f = 3; every product written out, 2 FLOPs per multiply-add.
    shape = GPTShape(vocabulary_size=10, sequence_length=4, num_layers=1, hidden_dim=2,
                     intermediate_dim=3)
    tokens = 4
    qkv = tokens * 3 * (2 * 2 * 2)  # three (4 x 2) @ (2 x 2) products
    scores = 2 * 4 * 4 * 2  # (4 x 2) @ (2 x 4), all heads together
    weighted_values = 2 * 4 * 4 * 2  # (4 x 4) @ (4 x 2)
    output = tokens * 2 * 2 * 2  # (4 x 2) @ (2 x 2)
    feedforward = tokens * 2 * (2 * 3) * 2  # (4 x 2) @ (2 x 3), then (4 x 3) @ (3 x 2)
    logits = tokens * 2 * 2 * 10  # (4 x 2) @ (2 x 10)
    by_hand = qkv + scores + weighted_values + output + feedforward + logits
    assert gpt_forward_flops(shape, batch_size=1, length=4) == by_hand == 512
    assert gpt_forward_flops(shape, batch_size=3) == 3 * by_hand
    assert gpt_training_flops(shape, batch_size=3) == 9 * by_hand


def test_six_n_d_is_close_for_a_short_context():
    # Wide against its context and vocabulary: attention and logits are a small share.
    shape = GPTShape(vocabulary_size=256, sequence_length=128, num_layers=12, hidden_dim=768)
    exact = gpt_training_flops(shape, batch_size=1)
    estimate = six_n_d(non_embedding_parameters(shape), shape.sequence_length)
    assert abs(exact / estimate - 1) < 0.05


def test_memory():
    assert training_state_bytes(10)["total"] == 160
    assert training_state_bytes(10, dtype="bfloat16", optimizer_moments=0)["total"] == 40
    shape = GPTShape(vocabulary_size=10, sequence_length=8, num_layers=2, hidden_dim=4)
    assert kv_cache_bytes(shape, batch_size=3, length=5) == 2 * 2 * 4 * 5 * 3 * 4


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bad_sizes_are_refused(bad):
    with pytest.raises(ValueError, match="positive whole number"):
        GPTShape(vocabulary_size=bad, sequence_length=4, num_layers=1, hidden_dim=2)


def test_unknown_dtype_is_refused():
    with pytest.raises(ValueError, match="Unknown dtype"):
        training_state_bytes(10, dtype="float8")


def test_six_n_d_matches_gpt3s_published_compute():
    from course.costs import PUBLISHED_MODELS

    gpt3 = next(model for model in PUBLISHED_MODELS if model.name == "GPT-3 175B")
    assert abs(gpt3.estimated_flops / gpt3.published_flops - 1) < 0.01
