"""The kit's GPT: decoder block, key/value cache, keras-hub export, generation past the context."""

from __future__ import annotations

import numpy as np
import pytest
from keras import ops

from course.generation import GreedySampler, rerun_prefix_next
from course.layers.transformer import DecoderBlock
from course.models.gpt import GPT, cached_next, to_keras_hub
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


def test_a_sequence_longer_than_the_context_is_explained():
    with pytest.raises(ValueError, match="context is 12 tokens"):
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
