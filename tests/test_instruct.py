"""course.instruct: the question/answer template and the loss on the answer only."""

from __future__ import annotations

import numpy as np
import pytest

from course.instruct import (
    answer_of,
    exact_match,
    format_prompt,
    format_response,
    left_pad,
    pack_examples,
    response_weights,
)
from course.pretraining import masked_lm_loss


def test_the_template_marks_the_question_the_context_and_where_the_answer_goes():
    prompt = format_prompt("Which function is defined?", "def f(x):")
    assert prompt == "Question: Which function is defined?\ndef f(x):\nAnswer:"
    assert prompt + format_response("f") == (
        "Question: Which function is defined?\ndef f(x):\nAnswer: f\n")
    assert answer_of(" f\nQuestion: next") == "f"


def test_the_template_refuses_text_that_would_break_it():
    with pytest.raises(ValueError, match="one line"):
        format_prompt("two\nlines")
    with pytest.raises(ValueError, match="newline ends an answer"):
        format_response("a\nb")
    with pytest.raises(ValueError, match="non-empty"):
        format_prompt("  ")


def test_weights_cover_exactly_the_targets_that_are_response_tokens():
    prompt, response = [10, 11, 12], [20, 21]
    inputs, targets, weights = pack_examples([prompt], [response], sequence_length=7, pad_id=0)
    assert inputs[0].tolist() == [10, 11, 12, 20, 21, 0, 0]
    assert targets[0].tolist() == [11, 12, 20, 21, 0, 0, 0]
    scored = targets[0][weights[0] > 0].tolist()
    assert scored == response  # every response token, nothing else, no padding


def test_training_on_the_prompt_adds_the_prompt_targets_only():
    _, targets, weights = pack_examples([[1, 2, 3]], [[4]], 5, pad_id=0, train_on_prompt=True)
    assert targets[0][weights[0] > 0].tolist() == [2, 3, 4]


def test_the_loss_ignores_whatever_the_model_says_about_the_prompt():
    inputs, targets, weights = pack_examples([[1, 2, 3], [4]], [[5, 6], [7]], 6, pad_id=0)
    logits = np.random.default_rng(0).normal(size=(2, 6, 8)).astype("float32")
    changed = np.where(weights[..., None] > 0, logits, logits * 30.0)
    assert float(masked_lm_loss(targets, logits, weights)) == pytest.approx(
        float(masked_lm_loss(targets, changed, weights)), abs=1e-5)


def test_examples_that_do_not_fit_are_refused():
    with pytest.raises(ValueError, match="do not fit"):
        response_weights(5, 3, 6)
    with pytest.raises(ValueError, match="prompt_length"):
        response_weights(0, 3, 6)
    with pytest.raises(ValueError, match="pairs"):
        pack_examples([[1]], [], 4, pad_id=0)


def test_left_padding_puts_every_answer_at_the_same_position():
    inputs, targets, weights = pack_examples([[1, 2, 3], [4]], [[5, 6], [7]], 6, pad_id=0,
                                             prompt_width=3)
    assert inputs.tolist() == [[1, 2, 3, 5, 6, 0], [0, 0, 4, 7, 0, 0]]
    assert [t[w > 0].tolist() for t, w in zip(targets, weights, strict=True)] == [[5, 6], [7]]
    assert (weights[:, 2] == 1).all()  # the first answer token is always target 2
    _, _, with_prompt = pack_examples([[4]], [[7]], 4, pad_id=0, prompt_width=3,
                                      train_on_prompt=True)
    assert with_prompt.tolist() == [[0.0, 0.0, 1.0, 0.0]]  # the padding is never scored


def test_left_pad_refuses_prompts_that_do_not_fit():
    assert left_pad([[1], [2, 3]], 2, pad_id=9).tolist() == [[9, 1], [2, 3]]
    with pytest.raises(ValueError, match="width"):
        left_pad([[1, 2, 3]], 2, pad_id=0)


def test_exact_match_strips_spaces_and_checks_lengths():
    assert exact_match([" a", "b "], ["a", "c"]) == 0.5
    with pytest.raises(ValueError, match="as many"):
        exact_match(["a"], ["a", "b"])
