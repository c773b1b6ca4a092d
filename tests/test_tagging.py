"""course.tagging: tags from Python's lists, BIO spans and per-entity scores."""

from __future__ import annotations

import pytest

from course.tagging import (
    TAGS,
    build_vocabulary,
    encode_windows,
    entity_scores,
    name_tag,
    spans,
    tag_python,
    tagged_windows,
)


def test_names_are_tagged_from_the_lists_with_two_rules_of_context():
    pairs = tag_python("import json\ndef len(self):\n    return self.copy(json.loads(x))\n")
    tagged = {(token, tag) for token, tag in pairs}
    assert ("import", "B-KEYWORD") in tagged and ("json", "B-MODULE") in tagged
    assert ("len", "O") in tagged  # a name being defined is not the builtin
    assert ("copy", "O") in tagged  # an attribute is not the module
    assert ("loads", "O") in tagged and ("x", "O") in tagged
    assert name_tag("ValueError", "raise") == "B-BUILTIN"
    assert name_tag("None", ".") == "B-KEYWORD"  # a keyword is one wherever it stands


def test_strings_numbers_and_line_ends_become_placeholders_and_comments_vanish():
    pairs = tag_python("s = 'text'  # comment\nn = 3\n")
    assert [token for token, _ in pairs] == ["s", "=", "<str>", "<nl>", "n", "=", "<num>", "<nl>"]


def test_unreadable_source_keeps_the_tokens_before_the_problem():
    pairs = tag_python("x = 1\ny = '''never closed\n")
    assert pairs[:4] == [("x", "O"), ("=", "O"), ("<num>", "O"), ("<nl>", "<nl>")]
    with pytest.raises(TypeError, match="Python code"):
        tag_python(b"x = 1")


def test_spans_follow_the_conll_reading_of_bio():
    assert spans(["O", "B-A", "I-A", "I-A", "O"]) == {(1, 4, "A")}
    assert spans(["I-A", "I-B", "B-B"]) == {(0, 1, "A"), (1, 2, "B"), (2, 3, "B")}
    assert spans(["B-A", "<nl>", "I-A"]) == {(0, 1, "A"), (2, 3, "A")}
    assert spans([]) == set()


def test_scores_count_whole_spans_of_the_right_type():
    truth = [["B-A", "I-A", "O", "B-B", "O"], ["B-A", "O"]]
    guess = [["B-A", "O", "O", "B-A", "O"], ["B-A", "O"]]  # one cut short, one mistyped
    scores = entity_scores(truth, guess)
    assert (scores["A"].support, scores["A"].predicted, scores["A"].correct) == (2, 3, 1)
    assert scores["A"].precision == pytest.approx(1 / 3) and scores["A"].recall == 0.5
    assert scores["A"].f1 == pytest.approx(0.4)
    assert scores["B"].recall == 0.0 and scores["B"].precision == 0.0 and scores["B"].f1 == 0.0
    assert scores["micro"].precision == pytest.approx(1 / 3)
    assert scores["micro"].recall == pytest.approx(1 / 3)


def test_a_tagger_that_says_O_everywhere_scores_zero():
    truth = [["B-A", "O", "O", "O"]]
    scores = entity_scores(truth, [["O"] * 4])
    assert scores["micro"].f1 == 0.0 and scores["A"].support == 1


def test_sequences_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="one tag per token"):
        entity_scores([["O", "O"]], [["O"]])


def test_vocabulary_windows_and_ids():
    vocabulary = build_vocabulary(["x", "x", "len", "y"], max_size=3)
    assert vocabulary == ["[PAD]", "[UNK]", "x"]
    windows = tagged_windows(tag_python("len(x)\n"), sequence_length=3)
    assert windows == [(["len", "(", "x"], ["B-BUILTIN", "O", "O"]), ([")", "<nl>"], ["O", "O"])]
    ids, tags = encode_windows(windows, vocabulary, sequence_length=3)
    assert ids.tolist() == [[1, 1, 2], [1, 1, 0]]
    assert tags.tolist() == [[TAGS.index("B-BUILTIN"), 0, 0], [0, 0, 0]]
    with pytest.raises(ValueError, match="build_vocabulary"):
        encode_windows(windows, ["x"], 3)
    with pytest.raises(ValueError, match="at most sequence_length"):
        encode_windows(windows, vocabulary, 2)
