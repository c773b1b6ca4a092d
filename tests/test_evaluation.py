"""The evaluation of the results table equals a slow reference, for every kind of model."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from course.evaluation import (
    HeldOutText,
    evaluate_ngram,
    evaluate_recurrent,
    evaluate_transformer,
    evaluate_window,
    reference_nats,
)
from course.layers import SimpleRNNCell
from course.models import GPT, NGramLanguageModel, best_ngram, tune_mixture

VOCABULARY = 7
RNG = np.random.default_rng(0)
TRAIN = RNG.integers(0, VOCABULARY, 200)
TEXT = RNG.integers(0, VOCABULARY, 37)


def held_out(prefix_tokens: int = 16) -> HeldOutText:
    # 37 tokens that "spell" 50 characters: per-character and per-token results differ
    return HeldOutText.from_split(TRAIN, TEXT, characters=50, prefix_tokens=prefix_tokens)


def log_softmax(logits) -> np.ndarray:
    logits = np.asarray(logits, dtype=np.float64)
    return logits - logits.max() - np.log(np.exp(logits - logits.max()).sum())


@pytest.mark.parametrize("order", [1, 3])
def test_ngram_equals_the_reference(order):
    model = NGramLanguageModel(order, VOCABULARY, k=0.1,
                               weights=[1 / order] * order).fit(TRAIN.tolist())
    result = evaluate_ngram(model, held_out())
    expected = reference_nats(lambda context: np.log(model.distribution(context)), held_out())
    assert result.total_nats == pytest.approx(expected, rel=1e-9)
    assert result.tokens == len(TEXT) and result.characters == 50
    assert result.nats_per_char == pytest.approx(expected / 50)
    assert result.nats_per_token == pytest.approx(expected / len(TEXT))


def test_ngram_uses_the_prefix_as_context():
    model = NGramLanguageModel(3, VOCABULARY, k=0.1).fit(TRAIN.tolist())
    with_prefix = evaluate_ngram(model, held_out()).total_nats
    without = model.negative_log_likelihood(TEXT.tolist())  # first tokens with no context
    assert with_prefix != pytest.approx(without)


def test_window_equals_the_reference():
    window = 4
    keras.utils.set_random_seed(1)
    model = keras.Sequential([
        keras.Input((window,), dtype="int32"), keras.layers.Embedding(VOCABULARY, 3),
        keras.layers.Flatten(), keras.layers.Dense(VOCABULARY),
    ])
    result = evaluate_window(model, held_out(), window=window, batch_size=5)

    def log_probabilities(context):
        return log_softmax(model(np.array([context]))[0])

    expected = reference_nats(log_probabilities, held_out(), context_limit=window)
    assert result.total_nats == pytest.approx(expected, rel=1e-5)
    assert result.tokens == len(TEXT)


def test_recurrent_carries_the_state_through_the_whole_stream():
    keras.utils.set_random_seed(2)
    model = keras.Sequential([
        keras.Input((None,), dtype="int32"), keras.layers.Embedding(VOCABULARY, 3),
        keras.layers.RNN(SimpleRNNCell(5), return_sequences=True),
        keras.layers.Dense(VOCABULARY),
    ])
    result = evaluate_recurrent(model, held_out())

    def log_probabilities(context):  # re-run the model over the whole context each time
        return log_softmax(model(np.array([context]))[0, -1])

    expected = reference_nats(log_probabilities, held_out())
    assert result.total_nats == pytest.approx(expected, rel=1e-5)


def tiny_gpt(context_length: int) -> GPT:
    keras.utils.set_random_seed(3)
    return GPT(vocabulary_size=VOCABULARY, sequence_length=context_length, num_layers=1,
               num_heads=2, hidden_dim=8, intermediate_dim=16)


@pytest.mark.parametrize("stride", [1, 3, 8])
def test_transformer_windows_equal_the_reference(stride):
    context_length = 8
    model = tiny_gpt(context_length)
    text = held_out()
    result = evaluate_transformer(model, text, context_length, stride=stride, batch_size=4)

    # Independently: token t (in the stream) is scored in the first window whose last target
    # e = start - 1 + stride * j (clipped to the end) reaches t; it sees stream[e - C : t].
    stream, start = text.stream(), len(text.prefix)
    ends = [min(start - 1 + stride * j, len(stream) - 1)
            for j in range(1, len(stream) // stride + 2)]
    expected = 0.0
    for t in range(start, len(stream)):
        e = next(end for end in ends if end >= t)
        context = stream[e - context_length : t]
        assert len(context) >= context_length - stride + 1
        expected -= log_softmax(model(context[None])[0, -1])[stream[t]]
    assert result.tokens == len(TEXT)
    assert result.total_nats == pytest.approx(expected, rel=1e-5)


def test_transformer_with_stride_one_gives_every_token_the_full_context():
    context_length = 8
    model = tiny_gpt(context_length)
    result = evaluate_transformer(model, held_out(), context_length, stride=1)

    def log_probabilities(context):
        return log_softmax(model(np.array([context]))[0, -1])

    expected = reference_nats(log_probabilities, held_out(), context_limit=context_length)
    assert result.total_nats == pytest.approx(expected, rel=1e-5)


def test_a_short_prefix_is_refused_with_the_fix():
    model = tiny_gpt(8)
    with pytest.raises(ValueError, match="prefix_tokens=512"):
        evaluate_transformer(model, held_out(prefix_tokens=2), 8, stride=4)
    with pytest.raises(ValueError, match="prefix holds 2 ids"):
        evaluate_window(lambda x, training: x, held_out(prefix_tokens=2), window=4)


def test_bad_inputs_say_what_to_pass():
    with pytest.raises(TypeError, match="len\\(validation_text\\)"):
        HeldOutText.from_split(TRAIN, TEXT, characters="fifty")
    with pytest.raises(ValueError, match="empty"):
        HeldOutText.from_split(TRAIN, [], characters=0)
    with pytest.raises(ValueError, match="cannot exceed"):
        evaluate_transformer(tiny_gpt(8), held_out(), 8, stride=9)


def test_tune_mixture_never_lowers_the_likelihood():
    probabilities = RNG.uniform(0.01, 1, size=(50, 3))
    previous = -math.inf
    for steps in range(6):
        weights = tune_mixture(probabilities, steps)
        likelihood = float(np.log(probabilities @ weights).sum())
        assert likelihood >= previous - 1e-12
        previous = likelihood


def test_best_ngram_chooses_on_the_training_text_only():
    ids = [0, 1, 2, 3, 4, 5] * 60
    model = best_ngram(ids, 6, max_order=4)
    assert model.order >= 2  # the pattern needs one token of context
    assert model.probability([3, 4], 5) > 0.95
    with pytest.raises(ValueError, match="too few"):
        best_ngram([0], 2, tuning_fraction=0.1)
