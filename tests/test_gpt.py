"""The kit's GPT: decoder block, key/value cache, keras-hub export, generation past the context."""

from __future__ import annotations

import numpy as np
import pytest
from keras import ops

from course.generation import GreedySampler, rerun_prefix_next
from course.layers.transformer import DecoderBlock
from course.models.gpt import GPT, cached_next, compiled_generate, future_leak, to_keras_hub
from tests.layer_checks import run_layer_test


def _gpt(sequence_length: int = 12) -> GPT:
    import course

    course.seed_everything(0)
    model = GPT(vocabulary_size=30, sequence_length=sequence_length, num_layers=2, num_heads=2,
                hidden_dim=16, intermediate_dim=32)
    model(np.zeros((1, sequence_length), "int32"))
    return model


def test_decoder_block_contract(tmp_path):
    x = np.random.default_rng(0).normal(size=(2, 6, 8)).astype("float32")
    run_layer_test(DecoderBlock(num_heads=2, intermediate_dim=16), x, (2, 6, 8), tmp_path, 16)


def test_decoder_block_is_causal():
    block = DecoderBlock(num_heads=2, intermediate_dim=16)
    x = np.random.default_rng(1).normal(size=(1, 6, 8)).astype("float32")
    changed = x.copy()
    changed[0, 4:] += 1.0  # change the future
    a, b = ops.convert_to_numpy(block(x)), ops.convert_to_numpy(block(changed))
    np.testing.assert_allclose(a[0, :4], b[0, :4], atol=1e-6)
    assert not np.allclose(a[0, 4:], b[0, 4:])


def test_cache_gives_the_same_logits_as_a_full_pass():
    model = _gpt()
    ids = np.random.default_rng(2).integers(0, 30, (2, 12)).astype("int32")
    full = ops.convert_to_numpy(model(ids))
    cache = model.empty_cache(2)
    logits, cache = model.call_with_cache(ids[:, :5], cache, 0)
    pieces = [ops.convert_to_numpy(logits)]
    for t in range(5, 12):
        logits, cache = model.call_with_cache(ids[:, t : t + 1], cache, t)
        pieces.append(ops.convert_to_numpy(logits))
    np.testing.assert_allclose(np.concatenate(pieces, axis=1), full, atol=1e-5)


def test_greedy_with_and_without_cache_agree_and_generation_runs_past_the_context():
    model = _gpt()
    prompt = np.array([1, 2, 3, 4, 5])
    with_cache = GreedySampler()(cached_next(model, jit_compile=False), prompt, 7)
    without = GreedySampler()(rerun_prefix_next(model, context_length=12), prompt, 7)
    np.testing.assert_array_equal(with_cache, without)
    long = GreedySampler()(cached_next(model, jit_compile=False), prompt, 30)
    assert long.shape == (35,)


def test_cached_generation_compiles_a_bounded_number_of_times_whatever_the_length():
    import tensorflow as tf

    model = _gpt(sequence_length=8)
    next_logits = cached_next(model)  # compiled with XLA
    GreedySampler()(next_logits, [1], 12)  # past the context: prompt, one token, refill
    traces = next_logits.step.experimental_get_tracing_count()
    longer = GreedySampler()(next_logits, [1], 40)
    assert longer.shape == (41,)
    assert next_logits.step.experimental_get_tracing_count() == traces <= 3
    # XLA compiles again for every value of an input it must treat as a constant (a slice's
    # start, say): then the program for one token would differ from position to position.
    one_token, cache = tf.constant([[1]]), model.empty_cache(1)
    programs = {next_logits.step.experimental_get_compiler_ir(one_token, cache, tf.constant(i))(
        stage="hlo") for i in (1, 5, 7)}
    assert len(programs) == 1


def test_compiled_loop_gives_the_python_loop_greedy_tokens_and_compiles_twice():
    model = _gpt(sequence_length=8)
    for prompt in ([1], [1, 2, 3], list(range(1, 12))):  # short, longer, past the context
        python_loop = GreedySampler()(cached_next(model, jit_compile=False), prompt, 30)
        np.testing.assert_array_equal(compiled_generate(model, prompt, 30), python_loop)
    step = model.__dict__["_window_generator_True"].step
    traces = step.experimental_get_tracing_count()
    compiled_generate(model, [4], 100)  # a longer text: no window shape that is new
    compiled_generate(model, [4], 0)
    assert step.experimental_get_tracing_count() == traces


def test_compiled_sampling_is_seeded_batched_and_checks_its_arguments():
    model = _gpt()
    prompts = np.array([[1, 2], [3, 4]])
    first = compiled_generate(model, prompts, 20, temperature=1.0, seed=5, jit_compile=False)
    again = compiled_generate(model, prompts, 20, temperature=1.0, seed=5, jit_compile=False)
    other = compiled_generate(model, prompts, 20, temperature=1.0, seed=6, jit_compile=False)
    assert first.shape == (2, 22)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    with pytest.raises(ValueError, match="at least one token"):
        compiled_generate(model, [], 5)
    with pytest.raises(ValueError, match="temperature"):
        compiled_generate(model, [1], 5, temperature=-1.0)
    with pytest.raises(ValueError, match="max_new_tokens"):
        compiled_generate(model, [1], -2)


def test_rerun_prefix_next_takes_the_context_from_the_model():
    model = _gpt()
    prompt = np.array([1, 2, 3, 4, 5])
    default = GreedySampler()(rerun_prefix_next(model), prompt, 20)  # past the 12-token context
    explicit = GreedySampler()(rerun_prefix_next(model, context_length=12), prompt, 20)
    np.testing.assert_array_equal(default, explicit)


def test_future_leak_is_zero_with_the_causal_mask_and_not_without():
    model = _gpt()
    ids = np.random.default_rng(5).integers(0, 30, (2, 12))
    assert future_leak(model, ids) < 1e-5
    assert future_leak(model, ids[0], position=0) < 1e-5
    for block in model.blocks:
        block.attention.use_causal_mask = False
    assert future_leak(model, ids) > 1e-3
    assert future_leak(model, ids, position=10) > 1e-3  # only the last token changes


def test_future_leak_explains_bad_arguments():
    model = _gpt()
    with pytest.raises(ValueError, match="position must be an int from 0 to 10"):
        future_leak(model, np.zeros(12, "int32"), position=11)
    with pytest.raises(ValueError, match="time >= 2"):
        future_leak(model, np.zeros(1, "int32"))
    with pytest.raises(ValueError, match="vocabulary_size"):
        future_leak(lambda ids, training: ids, np.zeros(4, "int32"))


def test_a_sequence_longer_than_the_context_is_explained():
    with pytest.raises(ValueError, match="context is 12 tokens long"):
        _gpt()(np.zeros((1, 13), "int32"))


def test_export_to_keras_hub_computes_the_same_logits():
    model = _gpt()
    ids = np.random.default_rng(3).integers(0, 30, (2, 12)).astype("int32")
    backbone = to_keras_hub(model)
    hidden = backbone({"token_ids": ids, "padding_mask": np.ones_like(ids)})
    hub_logits = backbone.token_embedding(hidden, reverse=True)
    np.testing.assert_allclose(ops.convert_to_numpy(hub_logits), model(ids), atol=1e-5)


def test_gpt_round_trips_through_keras_saving(tmp_path):
    import keras

    model = _gpt()
    ids = np.random.default_rng(4).integers(0, 30, (1, 12)).astype("int32")
    model.save(tmp_path / "gpt.keras")
    reloaded = keras.models.load_model(tmp_path / "gpt.keras")
    np.testing.assert_allclose(ops.convert_to_numpy(reloaded(ids)), model(ids), atol=1e-6)


def test_keras_hub_preset_round_trip_offline(tmp_path):
    import keras_hub

    from course.text import learn_bpe

    text = "the cat sat on the mat. the dog sat on the log. " * 20
    bpe = learn_bpe(text, 300, special_tokens=["<|endoftext|>"])
    import course

    course.seed_everything(0)
    model = GPT(vocabulary_size=bpe.vocabulary_size(), sequence_length=16, num_layers=1,
                num_heads=2, hidden_dim=8, intermediate_dim=16)
    model(np.zeros((1, 16), "int32"))
    tokenizer = keras_hub.models.GPT2Tokenizer(vocabulary=bpe.vocabulary, merges=bpe.merges)
    preprocessor = keras_hub.models.GPT2CausalLMPreprocessor(tokenizer, sequence_length=16)
    causal_lm = keras_hub.models.GPT2CausalLM(backbone=to_keras_hub(model),
                                              preprocessor=preprocessor)
    causal_lm.save_to_preset(str(tmp_path / "preset"))
    loaded = keras_hub.models.GPT2CausalLM.from_preset(str(tmp_path / "preset"))
    ids = np.array([bpe.encode("the cat sat on the mat.")[:16]], "int32")
    hidden = loaded.backbone({"token_ids": ids, "padding_mask": np.ones_like(ids)})
    padded = np.pad(ids, ((0, 0), (0, 16 - ids.shape[1])))  # causal: padding changes nothing
    ours = ops.convert_to_numpy(model(padded))[:, : ids.shape[1]]
    theirs = ops.convert_to_numpy(loaded.backbone.token_embedding(hidden, reverse=True))
    np.testing.assert_allclose(theirs, ours, atol=1e-5)
    assert loaded.preprocessor.tokenizer.vocabulary_size() == bpe.vocabulary_size()
