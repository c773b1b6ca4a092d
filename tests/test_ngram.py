"""The count-based n-gram model."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course.models import NGramLanguageModel

TOKENS = [0, 1, 2, 0, 1, 2, 0, 1, 3, 0, 1, 2]


@pytest.mark.parametrize("order", [1, 2, 3])
@pytest.mark.parametrize("weights", [None, "even"])
def test_distributions_sum_to_one(order, weights):
    w = None if weights is None else [1 / order] * order
    model = NGramLanguageModel(order, 4, k=0.5, weights=w).fit(TOKENS)
    for context in ([], [0], [0, 1], [3, 3]):
        assert model.distribution(context).sum() == pytest.approx(1.0)


def test_add_k_estimate_by_hand():
    model = NGramLanguageModel(3, 4, k=1.0).fit(TOKENS)
    # after (0, 1): 2 three times, 3 once; count(0, 1) = 4
    assert model.probability([0, 1], 2) == pytest.approx((3 + 1) / (4 + 4))


def test_negative_log_likelihood_is_the_sum_of_log_probabilities():
    model = NGramLanguageModel(2, 4, k=0.1).fit(TOKENS)
    sequence = [0, 1, 3]
    expected = -(
        math.log(model.probability([], 0))
        + math.log(model.probability([0], 1))
        + math.log(model.probability([1], 3))
    )
    assert model.negative_log_likelihood(sequence) == pytest.approx(expected)


def test_more_context_helps_on_repetitive_text():
    train = [0, 1, 2, 3] * 50
    held_out = [0, 1, 2, 3] * 5
    ppl = [NGramLanguageModel(n, 4, k=0.01).fit(train).perplexity(held_out) for n in (1, 2, 3)]
    assert ppl[0] > 3.9 and ppl[2] < 1.1


def test_sampling_is_repeatable_and_in_range():
    model = NGramLanguageModel(2, 4, k=0.1).fit(TOKENS)
    a = model.sample([0], 20, seed=1)
    assert a == model.sample([0], 20, seed=1)
    assert set(a) <= {0, 1, 2, 3}
    greedy_like = model.sample([0], 5, temperature=0.01, seed=1)
    assert greedy_like[0] == int(np.argmax(model.distribution([0])))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"order": 0, "vocabulary_size": 4}, "order"),
        ({"order": 2, "vocabulary_size": 4, "k": 0}, "k must be positive"),
        ({"order": 2, "vocabulary_size": 4, "weights": [0.5, 0.6]}, "summing to 1"),
    ],
)
def test_bad_settings_are_explained(kwargs, message):
    with pytest.raises(ValueError, match=message):
        NGramLanguageModel(**kwargs)


def test_ids_outside_the_vocabulary_are_explained():
    with pytest.raises(ValueError, match="vocabulary_size"):
        NGramLanguageModel(2, 3).fit([0, 1, 5])


def test_best_ngram_rejects_an_unknown_id_in_the_tuning_slice_too():
    from course.models.ngram import best_ngram

    with pytest.raises(ValueError, match="must lie in 0..3"):
        best_ngram([0, 1, 2, 3] * 100 + [9] * 20, 4, max_order=3)  # 9: only in the last 10%
