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


def _tiny_gpt(**overrides):
    config = dict(vocabulary_size=23, sequence_length=8, num_layers=2, num_heads=2, hidden_dim=8,
                  intermediate_dim=12)
    config.update(overrides)
    model = GPT(**config)
    model(np.zeros((1, config["sequence_length"]), "int32"))
    return model


def test_the_graph_runs_the_products_the_formulas_count():
    import keras
    import tensorflow as tf

    from course.costs import count_matmul_flops

    model = _tiny_gpt()
    shape = GPTShape.of(model)
    ids = np.zeros((3, 8), "int32")
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def step(inputs, targets):
        with tf.GradientTape() as tape:
            value = loss(targets, model(inputs, training=True))
        return tape.gradient(value, model.trainable_variables)

    assert count_matmul_flops(lambda inputs: model(inputs), ids) == gpt_forward_flops(shape, 3)
    assert count_matmul_flops(step, ids, ids) == gpt_training_flops(shape, 3)
    assert count_matmul_flops(lambda inputs: model(inputs), ids[:, :5]) == gpt_forward_flops(
        shape, 3, length=5)


def test_einsum_with_an_ellipsis_is_counted():
    import tensorflow as tf

    from course.costs import count_matmul_flops

    a, b = np.ones((2, 3, 4, 5), "float32"), np.ones((5, 6), "float32")
    assert count_matmul_flops(lambda x, y: tf.einsum("...k,kn->...n", x, y), a, b) == (
        2 * 2 * 3 * 4 * 5 * 6)


def test_unknown_shapes_are_refused_with_advice():
    import tensorflow as tf

    from course.costs import count_matmul_flops

    traced = tf.function(lambda x: x @ tf.transpose(x),
                         input_signature=[tf.TensorSpec((None, 3), tf.float32)])
    with pytest.raises(ValueError, match="fixed shapes"):
        count_matmul_flops(traced, np.ones((2, 3), "float32"))


def test_activation_bytes_by_hand():
    from course.costs import activation_bytes

    shape = GPTShape(vocabulary_size=10, sequence_length=4, num_layers=2, hidden_dim=2,
                     intermediate_dim=3)
    # per token per block: 8d + 2f + heads * t = 16 + 6 + 3 * 4; after the blocks: 2d + V = 14
    per_token = 2 * (16 + 6 + 12) + 14
    assert activation_bytes(shape, num_heads=3, batch_size=5) == 5 * 4 * per_token * 4
    assert activation_bytes(shape, 3, 5, dtype="bfloat16") * 2 == activation_bytes(shape, 3, 5)


def test_power_law_fit_recovers_the_law():
    from course.costs import PowerLaw, fit_power_law

    sizes = np.array([1e3, 1e4, 1e5, 1e6])
    law = fit_power_law(sizes, 7.0 * sizes ** -0.25)
    assert law.exponent == pytest.approx(0.25)
    assert law.coefficient == pytest.approx(7.0)
    assert law.predict(1e8) == pytest.approx(7.0 * 1e8 ** -0.25)
    with pytest.raises(ValueError, match="above 0"):
        fit_power_law([1, 0], [2, 1])
    with pytest.raises(ValueError, match="at least two"):
        fit_power_law([1], [2])
    with pytest.raises(ValueError, match="above 0"):
        PowerLaw(1.0, 0.5).predict(0)


def test_tensor_memory_counts_a_large_tensor_where_tensorflow_counts():
    import subprocess
    import sys

    script = """
from course.costs import TensorMemory, count_cpu_memory
assert count_cpu_memory()
import tensorflow as tf
with TensorMemory("CPU:0") as memory:
    big = tf.ones((4_000_000,))  # 16 MB
print(memory.growth)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert 15e6 < int(out.split()[-1]) < 40e6
