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


def _bert_layout_encoder(vocabulary_size=30):
    keras.utils.set_random_seed(1)
    encoder = build_encoder(vocabulary_size, 8, num_layers=2, num_heads=2, hidden_dim=8,
                            intermediate_dim=16, dropout=0.0, normalize_first=False)
    # move every weight off its initial value, so a weight copied to the wrong place shows
    rng = np.random.default_rng(0)
    encoder.set_weights([w + rng.normal(0, 0.1, w.shape).astype(w.dtype)
                         for w in encoder.get_weights()])
    return encoder


def test_bert_layout_is_post_layer_norm_without_a_final_norm():
    encoder = _bert_layout_encoder()
    names = [layer.name for layer in encoder.layers]
    assert "embeddings_norm" in names and "final_norm" not in names
    block = encoder.get_layer("block_0")
    assert block.normalize_first is False and block.layer_norm_epsilon == 1e-12
    assert "final_norm" in [layer.name for layer in _encoder().layers]  # default: pre-LN


def test_to_keras_hub_computes_the_same_function_and_survives_a_preset(tmp_path):
    import keras_hub

    from course.models.encoder import to_keras_hub

    encoder = _bert_layout_encoder()
    pooler = keras.layers.Dense(8, activation="tanh")
    pooler.build((None, 8))
    backbone = to_keras_hub(encoder, pooler=pooler)
    ids = np.array([[2, 5, 6, 7, 3, 9, 3, 0], [2, 11, 3, 12, 13, 3, 0, 0]], "int32")
    segments = np.array([[0, 0, 0, 0, 0, 1, 1, 0], [0, 0, 0, 1, 1, 1, 0, 0]], "int32")
    ours = keras.ops.convert_to_numpy(encoder([ids, segments]))
    inputs = {"token_ids": ids, "segment_ids": segments, "padding_mask": ids != 0}
    theirs = backbone(inputs)
    real = ids != 0
    np.testing.assert_allclose(keras.ops.convert_to_numpy(theirs["sequence_output"])[real],
                               ours[real], atol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(theirs["pooled_output"]),
                               keras.ops.convert_to_numpy(pooler(ours[:, 0])), atol=1e-5)
    # saved as a keras-hub preset (a local directory) and read back by from_preset
    backbone.save_to_preset(str(tmp_path / "preset"))
    loaded = keras_hub.models.BertBackbone.from_preset(str(tmp_path / "preset"))
    again = keras.ops.convert_to_numpy(loaded(inputs)["sequence_output"])
    np.testing.assert_allclose(again[real], ours[real], atol=1e-5)


def test_masked_lm_and_tokenizer_through_a_preset(tmp_path):
    import keras_hub

    from course.models.encoder import to_keras_hub
    from course.text.wordpiece import train_wordpiece

    lines = ["the film is a delight", "the plot is a mess", "a delight of a film"] * 10
    pieces = train_wordpiece(lines, 40, lowercase=True).get_vocabulary()
    vocabulary = pieces + ["[CLS]", "[SEP]", "[MASK]"]
    encoder = _bert_layout_encoder(len(vocabulary))
    tokenizer = keras_hub.tokenizers.BertTokenizer(vocabulary=vocabulary, lowercase=True)
    preprocessor = keras_hub.models.BertMaskedLMPreprocessor(tokenizer, sequence_length=8,
                                                             mask_selection_length=2)
    masked_lm = keras_hub.models.BertMaskedLM(to_keras_hub(encoder), preprocessor)
    head = masked_lm.get_layer("mlm_head")
    rng = np.random.default_rng(1)
    shared = masked_lm.backbone.token_embedding.embeddings  # tied: the head scores with it
    for variable in head.weights:  # the head's own weights only
        if variable is not shared:
            variable.assign(variable + rng.normal(0, 0.1, variable.shape).astype("float32"))
    masked_lm.save_to_preset(str(tmp_path / "preset"))
    loaded = keras_hub.models.BertMaskedLM.from_preset(str(tmp_path / "preset"))
    # the tokenizer came back with the vocabulary: same ids as the kit's WordPiece tokenizer
    kit = keras_hub.tokenizers.WordPieceTokenizer(vocabulary=vocabulary, lowercase=True,
                                                  oov_token="[UNK]")
    assert loaded.preprocessor.tokenizer.get_vocabulary() == vocabulary
    np.testing.assert_array_equal(np.asarray(loaded.preprocessor.tokenizer("The plot, a film")),
                                  np.asarray(kit("The plot, a film")))
    cls, sep, mask = (vocabulary.index(t) for t in ("[CLS]", "[SEP]", "[MASK]"))
    ids = np.array([[cls, 5, mask, 7, sep, 0, 0, 0]], "int32")
    inputs = {"token_ids": ids, "segment_ids": np.zeros_like(ids), "padding_mask": ids != 0,
              "mask_positions": np.array([[2, 3]], "int32")}
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(inputs)),
                               keras.ops.convert_to_numpy(masked_lm(inputs)), atol=1e-5)
    # ...and equal to what the encoder and that head compute
    hidden = encoder([ids, np.zeros_like(ids)])
    expected = head(hidden, mask_positions=inputs["mask_positions"])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(inputs)),
                               keras.ops.convert_to_numpy(expected), atol=1e-5)


def test_to_keras_hub_refuses_a_pre_layer_norm_encoder():
    from course.models.encoder import to_keras_hub

    with pytest.raises(ValueError, match="normalize_first=False"):
        to_keras_hub(_encoder())
