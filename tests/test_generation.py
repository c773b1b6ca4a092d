"""Samplers and next functions of course.generation, on a tiny alphabet with exact strings."""

from __future__ import annotations

import string

import keras
import numpy as np
import pytest

from course.generation import (
    GreedySampler,
    Sampler,
    TemperatureSampler,
    carried_state_next,
    generate_text,
    rerun_prefix_next,
)
from course.layers import SimpleRNNCell
from course.text import CharacterTokenizer

ALPHABET = string.ascii_lowercase  # id i is the i-th letter
VOCABULARY_SIZE = len(ALPHABET)


def ids(text):
    return np.array([ALPHABET.index(c) for c in text], dtype=np.int32)


def letters(token_ids):
    token_ids = np.asarray(token_ids)
    if token_ids.ndim == 2:
        return [letters(row) for row in token_ids]
    return "".join(ALPHABET[i] for i in token_ids)


def favour(letter):
    """A next function whose logits always favour one letter strongly."""

    def next_logits(new_ids, state):
        logits = np.zeros((len(new_ids), VOCABULARY_SIZE))
        logits[:, ALPHABET.index(letter)] = 1e9
        return logits, state

    return next_logits


def spell(word):
    """A next function that spells `word`, tracking its position as the state."""

    def next_logits(new_ids, state):
        position = 0 if state is None else state
        logits = np.zeros((len(new_ids), VOCABULARY_SIZE))
        logits[:, ALPHABET.index(word[position % len(word)])] = 1e9
        return logits, position + 1

    return next_logits


def descending(new_ids, state):
    """Logits that fall with the id: 'a' most likely, then 'b', ..."""
    return np.tile(np.arange(VOCABULARY_SIZE, 0, -1, dtype=np.float64), (len(new_ids), 1)), state


@pytest.mark.parametrize("sampler", [GreedySampler(), TemperatureSampler(1.0, seed=0)])
def test_a_strong_preference_is_followed(sampler):
    assert letters(sampler(favour("q"), ids("zzzz"), max_new_tokens=6)) == "zzzzqqqqqq"


@pytest.mark.parametrize("sampler", [GreedySampler(), TemperatureSampler(0.7, seed=3)])
def test_the_state_is_carried_from_call_to_call(sampler):
    assert letters(sampler(spell("recurrent"), ids("x"), max_new_tokens=9)) == "xrecurrent"


def test_batches_of_prompts_and_zero_new_tokens():
    prompts = np.stack([ids("ab"), ids("cd")])
    assert letters(GreedySampler()(favour("e"), prompts, max_new_tokens=3)) == ["abeee", "cdeee"]
    assert letters(GreedySampler()(favour("e"), ids("ab"), max_new_tokens=0)) == "ab"


def test_the_next_function_sees_the_prompt_once_then_one_token_at_a_time():
    seen = []

    def next_logits(new_ids, state):
        seen.append(letters(new_ids[0]))
        return favour("o")(new_ids, state)

    GreedySampler()(next_logits, ids("hell"), max_new_tokens=3)
    assert seen == ["hell", "o", "o"]


def test_a_small_temperature_is_greedy():
    greedy = GreedySampler()(descending, ids("zz"), max_new_tokens=8)
    for seed in range(5):
        cold = TemperatureSampler(temperature=1e-3, seed=seed)(descending, ids("zz"), 8)
        assert letters(cold) == letters(greedy) == "zzaaaaaaaa"


def test_temperature_sharpens_and_flattens():
    logits = [[2.0, 1.0, 0.0]]
    cold, warm, hot = (TemperatureSampler(t).compute_probabilities(logits)[0] for t in (0.5, 1, 4))
    np.testing.assert_allclose(warm, np.exp([2, 1, 0]) / np.exp([2, 1, 0]).sum())
    assert cold[0] > warm[0] > hot[0] > 1 / 3
    for p in (cold, warm, hot):
        assert p.sum() == pytest.approx(1.0)


def test_draws_follow_the_probabilities_and_the_seed():
    probabilities = np.tile([0.5, 0.3, 0.2, 0.0], (20_000, 1))
    sampler = TemperatureSampler(seed=7)
    first = sampler.get_next_token(probabilities, np.random.default_rng(7))
    again = sampler.get_next_token(probabilities, np.random.default_rng(7))
    np.testing.assert_array_equal(first, again)
    frequencies = np.bincount(first, minlength=4) / len(first)
    np.testing.assert_allclose(frequencies, [0.5, 0.3, 0.2, 0.0], atol=0.02)
    assert frequencies[3] == 0  # a token of probability 0 is never drawn


def test_same_seed_same_text_and_other_seeds_differ():
    def flat(new_ids, state):
        return np.zeros((len(new_ids), VOCABULARY_SIZE)), state

    runs = [letters(TemperatureSampler(seed=s)(flat, ids("a"), 30)) for s in (1, 1, 2)]
    assert runs[0] == runs[1] != runs[2]


def test_a_variant_overrides_one_method():
    class Alphabetical(Sampler):
        """Takes the next letter after the most likely one."""

        def get_next_token(self, probabilities, rng):
            return (np.argmax(probabilities, axis=-1) + 1) % VOCABULARY_SIZE

    assert letters(Alphabetical()(descending, ids("k"), 3)) == "kbbb"
    assert repr(Alphabetical(temperature=2.0)) == "Alphabetical(temperature=2.0, seed=None)"


def test_generate_text_round_trips_through_the_tokenizer():
    tokenizer = CharacterTokenizer(list(ALPHABET))
    assert generate_text(spell("state"), tokenizer, "the", 5, GreedySampler()) == "thestate"


@pytest.mark.parametrize("temperature", [0, -1.0, float("nan"), float("inf")])
def test_bad_temperature_is_a_clear_error(temperature):
    with pytest.raises(ValueError, match="temperature must be a finite number above 0"):
        TemperatureSampler(temperature)


@pytest.mark.parametrize("prompt", [[], np.zeros((2, 0), np.int32)])
def test_empty_prompt_is_a_clear_error(prompt):
    with pytest.raises(ValueError, match="prompt is empty"):
        GreedySampler()(favour("a"), prompt, 3)
    with pytest.raises(ValueError, match="prompt is empty"):
        generate_text(favour("a"), CharacterTokenizer(list(ALPHABET)), "", 3, GreedySampler())


def test_bad_prompts_and_lengths_are_clear_errors():
    with pytest.raises(ValueError, match="cannot be negative"):
        GreedySampler()(favour("a"), [1, -2], 3)
    with pytest.raises(TypeError, match="integer token ids"):
        GreedySampler()(favour("a"), [0.5, 1.0], 3)
    with pytest.raises(ValueError, match="max_new_tokens must be 0 or more"):
        GreedySampler()(favour("a"), [1], -1)
    with pytest.raises(NotImplementedError, match="get_next_token"):
        Sampler()(favour("a"), [1], 1)


def test_unknown_character_in_a_text_prompt_is_a_clear_error():
    with pytest.raises(ValueError, match="not in the vocabulary"):
        generate_text(favour("a"), CharacterTokenizer(list(ALPHABET)), "Hi", 3, GreedySampler())


def _tiny_model(recurrent_layer):
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            keras.layers.Embedding(VOCABULARY_SIZE, 8),
            recurrent_layer,
            keras.layers.Dropout(0.5),  # must be off while generating
            keras.layers.Dense(VOCABULARY_SIZE),
        ]
    )


@pytest.mark.parametrize(
    "recurrent_layer",
    [
        lambda: keras.layers.RNN(SimpleRNNCell(16), return_sequences=True),
        lambda: keras.layers.LSTM(16, return_sequences=True),  # two states, h and c
    ],
    ids=["course SimpleRNNCell", "keras LSTM"],
)
def test_carried_state_equals_rerunning_the_prefix(recurrent_layer):
    model = _tiny_model(recurrent_layer())
    carried, rerun = carried_state_next(model), rerun_prefix_next(model)
    prompt = ids("abcab")[None, :]
    logits_carried, state = carried(prompt, None)
    logits_rerun, so_far = rerun(prompt, None)
    expected = np.asarray(model(prompt))[:, -1]
    np.testing.assert_allclose(np.asarray(logits_carried), expected, atol=1e-5)
    np.testing.assert_allclose(np.asarray(logits_rerun), expected, atol=1e-5)
    for token in ids("cbd"):
        logits_carried, state = carried(np.array([[token]]), state)
        logits_rerun, so_far = rerun(np.array([[token]]), so_far)
        np.testing.assert_allclose(np.asarray(logits_carried), np.asarray(logits_rerun), atol=1e-5)
    greedy = GreedySampler()
    np.testing.assert_array_equal(greedy(carried, ids("abc"), 12), greedy(rerun, ids("abc"), 12))


def test_rerun_prefix_next_can_crop_to_a_context_length():
    model = _tiny_model(keras.layers.RNN(SimpleRNNCell(8), return_sequences=True))
    logits, so_far = rerun_prefix_next(model, context_length=2)(ids("abcd")[None, :], None)
    np.testing.assert_allclose(np.asarray(logits), np.asarray(model(ids("cd")[None, :]))[:, -1],
                               atol=1e-5)
    assert letters(so_far[0]) == "abcd"


def test_next_functions_reject_unknown_ids_and_unsuitable_models():
    model = _tiny_model(keras.layers.RNN(SimpleRNNCell(8), return_sequences=True))
    for make in (carried_state_next, rerun_prefix_next):
        with pytest.raises(ValueError, match="Token id 26 is unknown to the model"):
            make(model)(np.array([[1, 26]]), None)
    no_recurrence = keras.Sequential([keras.Input((None,), dtype="int32"),
                                      keras.layers.Embedding(4, 2), keras.layers.Dense(4)])
    with pytest.raises(TypeError, match="has none"):
        carried_state_next(no_recurrence)
    inputs = keras.Input((None,), dtype="int32")
    functional = keras.Model(inputs, keras.layers.Embedding(4, 2)(inputs))
    with pytest.raises(TypeError, match="keras.Sequential"):
        carried_state_next(functional)


# --- chapter 07's strategies: top-k, top-p, beam search -------------------------------------


def _fixed_distribution_next(probabilities):
    """A next function whose distribution never changes (state unused)."""
    logits = np.log(np.asarray(probabilities, dtype=np.float64))

    def next_logits(new_ids, state):
        return np.tile(logits, (len(new_ids), 1)), state

    return next_logits


def test_top_k_never_picks_outside_the_k_most_likely():
    from course.generation import TopKSampler

    next_logits = _fixed_distribution_next([0.3, 0.25, 0.2, 0.15, 0.1])
    tokens = TopKSampler(k=2, seed=0)(next_logits, [0], max_new_tokens=200)[1:]
    assert set(tokens.tolist()) == {0, 1}


def test_top_p_keeps_the_smallest_set_reaching_p():
    from course.generation import TopPSampler

    kept = TopPSampler(p=0.5).keep(np.array([[0.3, 0.25, 0.2, 0.15, 0.1]]))
    np.testing.assert_allclose(kept, [[0.3 / 0.55, 0.25 / 0.55, 0, 0, 0]])
    next_logits = _fixed_distribution_next([0.3, 0.25, 0.2, 0.15, 0.1])
    tokens = TopPSampler(p=0.5, seed=1)(next_logits, [0], max_new_tokens=200)[1:]
    assert set(tokens.tolist()) == {0, 1}
    assert TopPSampler(p=1.0).keep(np.array([[0.5, 0.5]])).tolist() == [[0.5, 0.5]]


def test_beam_search_finds_a_better_sequence_than_greedy():
    from course.generation import BeamSampler, GreedySampler

    # Greedy takes token 1 (0.5) then faces a flat choice; token 2 (0.4) leads to a sure thing.
    table = {0: [0.0, 0.5, 0.4, 0.1], 1: [0.25, 0.25, 0.25, 0.25], 2: [0.0, 0.0, 0.0, 1.0],
             3: [0.25, 0.25, 0.25, 0.25]}

    def next_logits(new_ids, state):
        rows = [table[int(token)] for token in new_ids[:, -1]]
        return np.log(np.asarray(rows) + 1e-12), state

    assert GreedySampler()(next_logits, [0], 2).tolist() == [0, 1, 0]
    assert BeamSampler(num_beams=2)(next_logits, [0], 2).tolist() == [0, 2, 3]


def test_beam_search_reorders_a_carried_state():
    from course.generation import BeamSampler, GreedySampler

    def next_logits(new_ids, state):  # state: the ids so far (batch, n); prefers repeating
        state = new_ids if state is None else np.concatenate([state, new_ids], axis=1)
        logits = np.full((len(state), 3), -5.0)
        logits[np.arange(len(state)), state[:, -1]] = 0.0
        return logits, state

    out = BeamSampler(num_beams=3)(next_logits, [2], 4)
    assert out.tolist() == GreedySampler()(next_logits, [2], 4).tolist() == [2, 2, 2, 2, 2]


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: __import__("course.generation").generation.TopKSampler(k=0), "k must be"),
        (lambda: __import__("course.generation").generation.TopPSampler(p=0.0), "p must be"),
        (lambda: __import__("course.generation").generation.BeamSampler(num_beams=0), "num_beams"),
    ],
)
def test_bad_strategy_settings_are_explained(make, message):
    with pytest.raises(ValueError, match=message):
        make()
