"""Verbatim spans, matching prefixes, entropy, confidence against accuracy."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course.memorisation import (
    confidence_and_accuracy,
    entropy,
    longest_copied_span,
    matching_prefix,
    verbatim_share,
    window_set,
)

TRAINING = "the quick brown fox jumps over the lazy dog. " * 3 + "a stitch in time saves nine."


def test_copied_text_is_found_and_new_text_is_not():
    copied = TRAINING[10:90]
    assert verbatim_share(copied, TRAINING, width=20) == 1.0
    assert verbatim_share("completely different words, none shared here", TRAINING,
                          width=20) == 0.0


def test_a_half_copied_text_scores_the_share_of_its_windows():
    text = "zzzzzzzzzz" + "a stitch in time saves"  # 10 new characters, then 22 copied
    windows = len(text) - 10 + 1
    assert verbatim_share(text, TRAINING, width=10) == pytest.approx(13 / windows)


def test_a_window_set_gives_the_same_answer_as_the_text():
    text = TRAINING[5:70] + "xyz"
    assert verbatim_share(text, window_set(TRAINING, 12), 12) == verbatim_share(text, TRAINING, 12)


def test_a_window_set_of_another_width_is_rejected():
    with pytest.raises(ValueError, match="width=12"):
        verbatim_share(TRAINING, window_set(TRAINING, 10), 12)


@pytest.mark.parametrize("width", [0, -3, 2.5, True])
def test_bad_widths_are_rejected(width):
    with pytest.raises(ValueError, match="width"):
        window_set(TRAINING, width)


def test_text_shorter_than_a_window_is_rejected():
    with pytest.raises(ValueError, match="fewer than one window"):
        verbatim_share("short", TRAINING, width=50)


def test_ids_instead_of_text_are_rejected():
    with pytest.raises(TypeError, match="decode"):
        verbatim_share([1, 2, 3], TRAINING, width=2)


def test_longest_copied_span_finds_the_longest_of_several():
    text = "##lazy dog##a stitch in time##"
    assert longest_copied_span(text, TRAINING) == "a stitch in time"
    assert longest_copied_span("###", TRAINING) == ""
    assert longest_copied_span(TRAINING, TRAINING) == TRAINING


def test_matching_prefix():
    assert matching_prefix("abcx", "abcd") == 3
    assert matching_prefix("", "abc") == 0
    assert matching_prefix("abc", "abc") == 3


def test_entropy_of_certain_and_uniform_predictions():
    logits = np.array([[100.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    np.testing.assert_allclose(entropy(logits), [0.0, math.log(4)], atol=1e-6)
    assert entropy(np.zeros((2, 3, 5))).shape == (2, 3)


def test_confidence_and_accuracy_of_an_overconfident_model():
    logits = np.log(np.array([[0.95, 0.05], [0.95, 0.05], [0.95, 0.05], [0.95, 0.05]]))
    confidence, accuracy = confidence_and_accuracy(logits, [0, 1, 1, 1])
    assert confidence == pytest.approx(0.95)
    assert accuracy == pytest.approx(0.25)


def test_confidence_and_accuracy_reject_mismatched_targets():
    with pytest.raises(ValueError, match="leading shape"):
        confidence_and_accuracy(np.zeros((3, 4)), [0, 1])
