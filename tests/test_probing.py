"""Linear probes, unit correlations, rank correlation, gradient x input, template probes."""

from __future__ import annotations

import numpy as np
import pytest
from keras import ops

from course.probing import (
    LinearProbe,
    gradient_times_input,
    majority_accuracy,
    probe_report,
    rank_correlation,
    template_probe,
    unit_correlations,
)


def _states(seed: int = 0, rows: int = 2000, units: int = 16):
    rng = np.random.default_rng(seed)
    states = rng.normal(size=(rows, units))
    labels = (states[:, 3] - 0.5 * states[:, 7] > 0.3).astype(int)
    return states, labels


def test_probe_finds_a_linear_property_and_its_controls_do_not():
    states, labels = _states()
    report = probe_report(states[:1500], labels[:1500], states[1500:], labels[1500:])
    assert report.accuracy > 0.95
    assert abs(report.majority - majority_accuracy(labels[1500:])) < 0.05
    assert report.shuffled < report.majority + 0.05  # noise cannot be fitted to new rows
    assert "probe" in str(report)


def test_probe_on_unrelated_features_is_no_better_than_the_majority():
    states, labels = _states()
    noise = np.random.default_rng(5).normal(size=states.shape)
    report = probe_report(noise[:1500], labels[:1500], noise[1500:], labels[1500:])
    assert report.accuracy < report.majority + 0.05


def test_probe_weights_point_at_the_carrying_units():
    states, labels = _states()
    probe = LinearProbe.fit(states, labels)
    top_two = set(np.argsort(-np.abs(probe.weights))[:2].tolist())
    assert top_two == {3, 7}
    assert probe.weights[3] > 0 > probe.weights[7]


def test_probe_is_invariant_to_the_scale_of_a_unit():
    states, labels = _states()
    scaled = states * np.linspace(0.01, 100, states.shape[1])
    a = LinearProbe.fit(states, labels).probabilities(states)
    b = LinearProbe.fit(scaled, labels).probabilities(scaled)
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_probe_with_a_constant_unit_still_fits():
    states, labels = _states()
    states[:, 0] = 4.0
    assert LinearProbe.fit(states, labels).accuracy(states, labels) > 0.95


@pytest.mark.parametrize(
    "features, labels, message",
    [
        (np.zeros((4, 2, 3)), [0, 1, 0, 1], "2-D"),
        (np.zeros((4, 2)), [0, 1, 0], "one entry per row"),
        (np.zeros((4, 2)), [0, 1, 2, 1], "0 or 1"),
        (np.full((2, 2), np.nan), [0, 1], "NaN"),
    ],
)
def test_probe_rejects_bad_input_with_a_reason(features, labels, message):
    with pytest.raises(ValueError, match=message):
        LinearProbe.fit(features, labels)


def test_probe_rejects_features_of_another_width():
    states, labels = _states()
    probe = LinearProbe.fit(states, labels)
    with pytest.raises(ValueError, match="16 units"):
        probe.accuracy(states[:, :4], labels)


def test_unit_correlations_pick_the_unit_that_follows_the_target():
    rng = np.random.default_rng(1)
    column = np.tile(np.arange(60), 20).astype(float)
    states = rng.normal(size=(1200, 8))
    states[:, 5] = -0.02 * column + 0.1 * rng.normal(size=1200)  # counts down the line
    correlations = unit_correlations(states, column)
    assert int(np.argmax(np.abs(correlations))) == 5
    assert correlations[5] < -0.9
    assert np.abs(np.delete(correlations, 5)).max() < 0.1


def test_unit_correlations_give_zero_for_a_silent_unit():
    states = np.c_[np.ones(5), np.arange(5.0)]
    assert unit_correlations(states, np.arange(5.0)).tolist() == [0.0, 1.0]


def test_rank_correlation_is_about_order_not_values():
    a = np.array([0.1, 0.5, 0.2, 0.9])
    assert rank_correlation(a, np.exp(10 * a)) == pytest.approx(1.0)
    assert rank_correlation(a, -a) == pytest.approx(-1.0)
    # ties share their rank: [1, 2, 2, 3] against [1, 2, 3, 4]
    assert rank_correlation([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(0.9486833, abs=1e-6)
    assert rank_correlation([1, 1, 1], [1, 2, 3]) == 0.0


def test_rank_correlation_rejects_unequal_lengths():
    with pytest.raises(ValueError, match="same length"):
        rank_correlation([1, 2, 3], [1, 2])


def test_gradient_times_input_is_exact_for_a_linear_score_and_sums_to_it():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 5, 4)).astype("float32")
    w = rng.normal(size=(4,)).astype("float32")
    attribution = gradient_times_input(lambda v: ops.sum(ops.matmul(v, w), axis=1), x)
    np.testing.assert_allclose(attribution, x @ w, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(attribution.sum(axis=1), (x @ w).sum(axis=1), rtol=1e-5)


def test_gradient_times_input_sees_a_token_that_attention_would_not_weigh():
    # score = 10 * first vector's sum: only position 0 matters, whatever else happens
    x = np.ones((1, 3, 2), "float32")
    attribution = gradient_times_input(lambda v: 10.0 * ops.sum(v[:, 0], axis=-1), x)
    assert attribution.tolist() == [[20.0, 0.0, 0.0]]


def test_gradient_times_input_rejects_bad_shapes():
    with pytest.raises(ValueError, match="batch, time, dim"):
        gradient_times_input(lambda v: ops.sum(v, axis=1), np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="one number per example"):
        gradient_times_input(lambda v: v, np.ones((1, 2, 3), "float32"))


def test_template_probe_measures_the_spread_between_fillers():
    def score(sentences):
        return [0.2 if "zed" in s else 0.6 + 0.1 * ("great" in s) for s in sentences]

    probe = template_probe(score, ["{} was great .", "{} was here ."], ["amy", "zed", "bo"])
    assert probe.scores.shape == (2, 3)
    assert probe.per_filler() == pytest.approx({"amy": 0.65, "zed": 0.2, "bo": 0.65})
    assert probe.spread == pytest.approx(0.45)


@pytest.mark.parametrize(
    "templates, fillers, message",
    [(["no slot"], ["a", "b"], "exactly one"), (["{} {}"], ["a", "b"], "exactly one"),
     (["{} ."], ["a"], "two fillers"), ([], ["a", "b"], "one template")],
)
def test_template_probe_rejects_bad_templates(templates, fillers, message):
    with pytest.raises(ValueError, match=message):
        template_probe(lambda s: [0.5] * len(s), templates, fillers)
