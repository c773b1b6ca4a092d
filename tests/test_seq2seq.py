"""The encoder-decoder pieces of chapter 09: the cross-attention decoder block, the seq2seq
Transformer, its cached next function, and batched greedy and beam-search decoding."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from course.generation import beam_search_translate, greedy_translate
from course.layers import CrossAttentionDecoderBlock
from course.models import Seq2SeqTransformer, seq2seq_next

RNG = np.random.default_rng(0)


def _block_inputs():
    x = RNG.normal(size=(2, 4, 8)).astype("float32")
    source = RNG.normal(size=(2, 6, 8)).astype("float32")
    source_mask = np.array([[1] * 6, [1] * 3 + [0] * 3])
    target_mask = np.array([[1] * 4, [1, 1, 0, 0]])
    return x, source, source_mask, target_mask


def test_block_equals_keras_hub_transformer_decoder_with_cross_attention():
    import keras_hub

    x, source, source_mask, target_mask = _block_inputs()
    block = CrossAttentionDecoderBlock(num_heads=2, intermediate_dim=32)
    ours = block(x, source, decoder_padding_mask=target_mask, encoder_padding_mask=source_mask)
    hub = keras_hub.layers.TransformerDecoder(
        32, 2, normalize_first=True, layer_norm_epsilon=1e-5,
        activation=lambda t: keras.activations.gelu(t, approximate=True),
    )
    before = hub(x, source, decoder_padding_mask=target_mask, encoder_padding_mask=source_mask)
    assert np.abs(np.asarray(before) - np.asarray(ours)).max() > 1e-3  # not equal by chance
    hub.set_weights(block.keras_hub_weights())
    theirs = hub(x, source, decoder_padding_mask=target_mask, encoder_padding_mask=source_mask)
    # the padded target positions of row 1 are compared too: both give them the same output
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), atol=1e-5)


def test_block_is_causal_and_ignores_padded_source():
    x, source, source_mask, _ = _block_inputs()
    block = CrossAttentionDecoderBlock(num_heads=2, intermediate_dim=16)
    out = np.asarray(block(x, source, encoder_padding_mask=source_mask))
    changed = x.copy()
    changed[:, 2:] += 1.0  # the future of positions 0 and 1
    out2 = np.asarray(block(changed, source, encoder_padding_mask=source_mask))
    np.testing.assert_allclose(out[:, :2], out2[:, :2], atol=1e-5)
    assert np.abs(out[:, 2:] - out2[:, 2:]).max() > 1e-3
    noisy = source.copy()
    noisy[1, 3:] = 100.0  # only padded source positions of row 1 change
    out3 = np.asarray(block(x, noisy, encoder_padding_mask=source_mask))
    np.testing.assert_allclose(out[1], out3[1], atol=1e-5)
    _, weights = block(x, source, encoder_padding_mask=source_mask, return_attention_scores=True)
    weights = np.asarray(weights)
    assert weights.shape == (2, 2, 4, 6)
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-5)
    assert np.abs(weights[1, :, :, 3:]).max() == 0.0


def test_block_config_round_trip_and_bad_mask():
    block = CrossAttentionDecoderBlock(num_heads=2, intermediate_dim=16, dropout=0.1, name="d")
    clone = CrossAttentionDecoderBlock.from_config(block.get_config())
    assert clone.get_config() == block.get_config()
    x, source, _, _ = _block_inputs()
    with pytest.raises(ValueError, match=r"shape \(batch, time\)"):
        block(x, source, encoder_padding_mask=np.ones((2, 1, 6)))


def _model(**overrides):
    settings = dict(source_vocabulary_size=20, target_vocabulary_size=25, sequence_length=10,
                    num_layers=2, num_heads=2, hidden_dim=16, intermediate_dim=32)
    settings.update(overrides)
    return Seq2SeqTransformer(**settings)


def _source_target():
    source = RNG.integers(1, 20, size=(3, 7)).astype("int32")
    source[1, 4:] = 0
    target = RNG.integers(1, 25, size=(3, 6)).astype("int32")
    target[2, 3:] = 0
    return source, target


def test_model_shapes_config_and_keras_round_trip(tmp_path):
    model = _model()
    source, target = _source_target()
    logits = np.asarray(model((source, target)))
    assert logits.shape == (3, 6, 25)
    clone = Seq2SeqTransformer.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    path = tmp_path / "seq2seq.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    assert isinstance(reloaded, Seq2SeqTransformer)
    np.testing.assert_allclose(np.asarray(reloaded((source, target))), logits, atol=1e-5)


def test_model_trains_one_step_and_padding_is_invisible():
    model = _model()
    source, target = _source_target()
    longer = np.concatenate([source, np.zeros((3, 2), "int32")], axis=1)  # more padding
    np.testing.assert_allclose(np.asarray(model((longer, target))),
                               np.asarray(model((source, target))), atol=1e-5)
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit((source, target[:, :-1]), target[:, 1:], epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_model_rejects_bad_input():
    model = _model()
    source, target = _source_target()
    with pytest.raises(ValueError, match="sequence_length=10"):
        model((np.ones((1, 11), "int32"), target[:1]))
    with pytest.raises(TypeError, match="source_ids, target_ids"):
        model(source)
    with pytest.raises(ValueError, match="num_layers must be a positive int"):
        _model(num_layers=0)


def test_cached_next_equals_the_full_decoder():
    model = _model()
    source, target = _source_target()
    target[2, 3:] = 5  # no padding inside a generated prefix
    full = np.asarray(model((source, target)))
    next_logits, state = seq2seq_next(model, source)
    for t in range(target.shape[1]):
        logits, state = next_logits(target[:, t : t + 1], state)
        np.testing.assert_allclose(np.asarray(logits), full[:, t], atol=1e-4)
    assert next_logits.step.experimental_get_tracing_count() == 1  # XLA compiled once


def _reference_greedy(model, source, start_id, end_id, max_length):
    """Greedy decoding the slow way: re-run the whole model on the prefix for each token."""
    outputs = []
    for row in source:
        ids = [start_id]
        for _ in range(max_length):
            logits = np.asarray(model((row[None], np.array([ids], "int32"))))[0, -1]
            token = int(np.argmax(logits))
            if token == end_id:
                break
            ids.append(token)
        outputs.append(ids[1:])
    return outputs


def test_greedy_and_beam_search_on_the_model():
    model = _model()
    source, _ = _source_target()
    expected = _reference_greedy(model, source, start_id=1, end_id=2, max_length=8)
    next_logits, state = seq2seq_next(model, source)
    greedy = greedy_translate(next_logits, state, 3, start_id=1, end_id=2, max_length=8)
    assert greedy == expected
    one_beam = beam_search_translate(next_logits, state, 3, start_id=1, end_id=2, max_length=8,
                                     num_beams=1)
    assert one_beam == expected
    beams = beam_search_translate(next_logits, state, 3, start_id=1, end_id=2, max_length=8,
                                  num_beams=3)
    for row in range(3):  # batched equals one source at a time
        alone_next, alone_state = seq2seq_next(model, source[row : row + 1])
        assert beams[row] == beam_search_translate(alone_next, alone_state, 1, start_id=1,
                                                   end_id=2, max_length=8, num_beams=3)[0]
    chunked = beam_search_translate(next_logits, state, 3, start_id=1, end_id=2, max_length=8,
                                    num_beams=3, chunk_size=2)  # sources 0-1, then 2
    assert chunked == beams


def test_best_candidates_equal_a_stable_sort_of_whole_rows():
    from course.generation import _best_candidates

    rng = np.random.default_rng(1)
    flat = rng.integers(-4, 4, size=(50, 40)).astype(float)  # many ties
    flat[rng.random(flat.shape) < 0.2] = -np.inf
    flat[rng.random(flat.shape) < 0.05] = np.nan
    flat[0, :] = -np.inf  # a row with nothing finite
    for count in (1, 8, 40, 60):
        expected = np.argsort(-flat, axis=-1, kind="stable")[:, :count]
        best = _best_candidates(flat, count)
        for values, ours, theirs in zip(flat, best, expected, strict=True):
            assert len(ours) == len(theirs)
            finite = int(np.isfinite(values[theirs]).sum())  # beam search stops at the first
            assert ours[:finite].tolist() == theirs[:finite].tolist()  # non-finite score
            assert not np.isfinite(values[ours[finite:]]).any()


def _table_next(table):
    """A next function from a dict: prefix (tuple) -> log-probabilities over 4 tokens."""
    def next_logits(new_ids, state):
        prefixes = [(*p, int(t)) for p, t in zip(state, new_ids[:, 0], strict=True)]
        rows = [table.get(p[1:], np.log([1e-9, 1e-9, 1.0, 1e-9])) for p in prefixes]
        return np.array(rows), np.array(prefixes, dtype=object)
    return next_logits


def test_length_normalisation_keeps_beam_search_from_stopping_early():
    log = np.log
    table = {  # log-probabilities of tokens 0..3; token 2 ends; after (3, 3, 3, 3) it ends
        (): log([1e-9, 1e-9, 0.4, 0.6]),
        (3,): log([1e-9, 1e-9, 0.1, 0.9]),
        (3, 3): log([1e-9, 1e-9, 0.6, 0.4]),
        (3, 3, 3): log([1e-9, 1e-9, 0.5, 0.5]),
    }
    start = np.empty(1, dtype=object)
    start[0] = ()

    def search(length_penalty):
        return beam_search_translate(_table_next(table), start, 1, start_id=1, end_id=2,
                                     max_length=6, num_beams=3, length_penalty=length_penalty)

    # log P(output, end): [] -0.92, [3] -2.81, [3, 3] -1.13, [3, 3, 3] -2.23, [3, 3, 3, 3] -2.23
    assert search(0.0) == [[]]  # the raw log-probability prefers the empty output
    # divided by the length (end included): -0.92, -1.41, -0.38, -0.56, -0.45
    assert search(1.0) == [[3, 3]]
    assert greedy_translate(_table_next(table), start, 1, 1, 2, 6) == [[3, 3]]


def test_decoding_rejects_bad_arguments():
    with pytest.raises(ValueError, match="num_beams"):
        beam_search_translate(_table_next({}), None, 1, 1, 2, 3, num_beams=0)
    with pytest.raises(ValueError, match="max_length"):
        greedy_translate(_table_next({}), None, 1, 1, 2, 0)
    with pytest.raises(ValueError, match="end_id"):
        greedy_translate(_table_next({}), None, 1, 1, -2, 3)


def test_sequence_loss_equals_keras_losses_on_real_tokens():
    from course.models import SequenceLoss

    logits = RNG.normal(size=(3, 5, 7)).astype("float32")
    targets = RNG.integers(1, 7, size=(3, 5))
    targets[1, 3:] = 0
    plain = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)
    np.testing.assert_allclose(float(SequenceLoss()(targets, logits)),
                               float(plain(targets, logits)), atol=1e-5)
    real = targets != 0
    smoothed = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    expected = float(smoothed(np.eye(7)[targets[real]], logits[real]))
    np.testing.assert_allclose(float(SequenceLoss(0.1)(targets, logits)), expected, atol=1e-5)
    clone = SequenceLoss.from_config(SequenceLoss(0.1, name="smooth").get_config())
    assert (clone.label_smoothing, clone.name) == (0.1, "smooth")
    with pytest.raises(ValueError, match="label_smoothing"):
        SequenceLoss(1.0)
