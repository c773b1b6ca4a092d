"""BLEU from its definition (course.metrics) against sacrebleu, the reference implementation.

sacrebleu is a development dependency (pyproject's ``dev`` extra, which requirements.txt
installs); it is imported plainly, so this file fails, and never skips, where it is missing.
"""

from __future__ import annotations

import random

import pytest
import sacrebleu

from course.data import toy_pairs
from course.metrics import brevity_penalty, corpus_bleu, modified_precision_counts


def _perturb(sentence: str, rng: random.Random) -> str:
    """A plausible imperfect translation: words dropped, repeated, swapped or replaced."""
    words = sentence.split()
    for _ in range(rng.randrange(4)):
        action = rng.randrange(4)
        i = rng.randrange(len(words))
        if action == 0 and len(words) > 1:
            del words[i]
        elif action == 1:
            words.insert(i, words[i])
        elif action == 2:
            j = rng.randrange(len(words))
            words[i], words[j] = words[j], words[i]
        else:
            words[i] = rng.choice(["le", "la", "chat", "maison", "rouge", "xyz"])
    return " ".join(words)


def _corpus(size: int, seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    references = [french for _, french in toy_pairs()[:size]]
    return [_perturb(r, rng) for r in references], references


def _sacrebleu(hypotheses, reference_streams, smooth="none"):
    return sacrebleu.corpus_bleu(
        hypotheses, reference_streams, tokenize="none", smooth_method=smooth, force=True
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("smooth", ["none", "exp"])
def test_corpus_bleu_equals_sacrebleu(seed, smooth):
    hypotheses, references = _corpus(300, seed)
    ours = corpus_bleu(hypotheses, references, smooth=smooth)
    theirs = _sacrebleu(hypotheses, [references], smooth)
    assert 5 < ours.score < 95
    assert ours.score == pytest.approx(theirs.score, abs=0.01)
    assert ours.precisions == pytest.approx(theirs.precisions, abs=0.01)
    assert ours.brevity_penalty == pytest.approx(theirs.bp, abs=1e-4)
    assert (ours.hypothesis_length, ours.reference_length) == (theirs.sys_len, theirs.ref_len)


def test_short_hypotheses_and_several_references_equal_sacrebleu():
    rng = random.Random(5)
    hypotheses, first = _corpus(200, 5)
    second = [_perturb(r, rng) for r in first]
    hypotheses = [" ".join(h.split()[:3]) for h in hypotheses]  # short: a brevity penalty
    ours = corpus_bleu(hypotheses, list(zip(first, second, strict=True)))
    theirs = _sacrebleu(hypotheses, [first, second])
    assert ours.brevity_penalty < 0.9
    assert ours.score == pytest.approx(theirs.score, abs=0.01)
    assert ours.reference_length == theirs.ref_len


def test_no_four_gram_match_gives_zero_without_smoothing():
    hypotheses = ["a b c d", "e f g h"]
    references = ["a b c x", "e f x h"]
    assert corpus_bleu(hypotheses, references).score == 0.0
    smoothed = corpus_bleu(hypotheses, references, smooth="exp").score
    assert smoothed == pytest.approx(_sacrebleu(hypotheses, [references], "exp").score, abs=0.01)
    assert smoothed > 0


def test_clipping_and_brevity_penalty_by_hand():
    assert modified_precision_counts("the the the the".split(), ["the cat".split()], 1) == (1, 4)
    assert modified_precision_counts(
        "the the".split(), ["the cat".split(), "the the mat".split()], 1
    ) == (2, 2)
    assert brevity_penalty(12, 10) == 1.0
    assert brevity_penalty(8, 10) == pytest.approx(2.718281828 ** (1 - 10 / 8))
    assert brevity_penalty(0, 5) == 0.0


def test_a_perfect_copy_scores_100_and_the_repeated_word_trick_does_not():
    references = ["le chat noir voit la maison ."]
    assert corpus_bleu(references, references).score == pytest.approx(100.0)
    assert corpus_bleu(["la la la la la la la"], references).score == 0.0


def test_bad_inputs_say_what_is_wrong():
    with pytest.raises(ValueError, match="2 hypotheses but 1 references"):
        corpus_bleu(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="at least one hypothesis"):
        corpus_bleu([], [])
    with pytest.raises(ValueError, match="smooth"):
        corpus_bleu(["a"], ["a"], smooth="add-one")
    with pytest.raises(ValueError, match="max_order"):
        corpus_bleu(["a"], ["a"], max_order=0)
    with pytest.raises(TypeError, match="Join token lists"):
        corpus_bleu([["a", "b"]], ["a b"])
    with pytest.raises(ValueError, match="empty list of references"):
        corpus_bleu(["a"], [[]])
