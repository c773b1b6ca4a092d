"""Character, word and WordPiece tokenizers."""

from __future__ import annotations

import numpy as np
import pytest

from course.text import (
    CharacterTokenizer,
    WordTokenizer,
    oov_rate,
    split_words,
    train_wordpiece,
)

TEXT = "The cat sat on the mat.\nThe dog didn't sit; it's well-known (to all) that dogs run!\n"
VARIED = "Zoë’s café — naïve 日本語 😀\n\ttabs\r\nand  spaces  "


# Characters


def test_character_round_trip_is_exact():
    tokenizer = CharacterTokenizer.fit(VARIED)
    ids = tokenizer.tokenize(VARIED)
    assert ids.dtype == np.int32
    assert len(ids) == len(VARIED)
    assert tokenizer.detokenize(ids) == VARIED


def test_character_vocabulary_is_the_sorted_set():
    tokenizer = CharacterTokenizer.fit("banana")
    assert tokenizer.get_vocabulary() == ["a", "b", "n"]
    assert tokenizer.vocabulary_size() == 3
    assert tokenizer.token_to_id("n") == 2
    assert tokenizer.id_to_token(1) == "b"


def test_unknown_character_error_names_character_position_and_fix():
    tokenizer = CharacterTokenizer.fit("abc")
    with pytest.raises(ValueError, match=r"'z' at position 2") as error:
        tokenizer.tokenize("abz")
    assert "unknown_token" in str(error.value)


def test_unknown_token_is_reserved_and_used():
    tokenizer = CharacterTokenizer.fit("abc", unknown_token="?")
    assert tokenizer.token_to_id("?") == 0
    ids = tokenizer.tokenize("azb")
    assert ids.tolist() == [1, 0, 2]
    assert tokenizer.detokenize(ids) == "a?b"


def test_character_token_to_id_lists_valid_tokens():
    tokenizer = CharacterTokenizer.fit("abc")
    with pytest.raises(ValueError, match=r"'q'.*'a', 'b', 'c'"):
        tokenizer.token_to_id("q")


def test_character_bad_inputs():
    with pytest.raises(ValueError, match="single character"):
        CharacterTokenizer(["a", "bc"])
    with pytest.raises(ValueError, match="more than once"):
        CharacterTokenizer(["a", "a"])
    with pytest.raises(ValueError, match="out of range"):
        CharacterTokenizer(["a"]).detokenize([1])
    with pytest.raises(TypeError):
        CharacterTokenizer(["a"]).tokenize(b"a")


# Words


def test_split_words_keeps_inner_apostrophes_hyphens_and_numbers():
    assert split_words("It's a well-known fact: 3.14 > 3, isn't it?") == [
        "It's",
        "a",
        "well-known",
        "fact",
        ":",
        "3.14",
        ">",
        "3",
        ",",
        "isn't",
        "it",
        "?",
    ]
    assert split_words("  Hello\n\tWORLD ", lowercase=True) == ["hello", "world"]


def test_word_tokenizer_reserved_ids_and_frequency_order():
    tokenizer = WordTokenizer.fit("b a b c b a")
    assert tokenizer.get_vocabulary() == ["[PAD]", "[UNK]", "b", "a", "c"]
    assert tokenizer.token_to_id("[PAD]") == 0
    assert tokenizer.token_to_id("[UNK]") == 1


def test_word_tokenizer_vocabulary_size_and_min_count():
    tokenizer = WordTokenizer.fit(TEXT, vocabulary_size=5)
    assert tokenizer.vocabulary_size() == 5
    rare_dropped = WordTokenizer.fit("a a b", min_count=2)
    assert rare_dropped.get_vocabulary() == ["[PAD]", "[UNK]", "a"]


def test_unknown_words_map_to_unk():
    tokenizer = WordTokenizer.fit("the cat sat")
    ids = tokenizer.tokenize("the dog sat")
    assert ids.dtype == np.int32
    assert ids[1] == tokenizer.token_to_id("[UNK]")
    assert tokenizer.detokenize(ids) == "the [UNK] sat"


def test_word_detokenize_attaches_punctuation():
    text = "The cat (the dog) sat, didn't it? Yes: 3.5 times!"
    tokenizer = WordTokenizer.fit(text)
    assert tokenizer.detokenize(tokenizer.tokenize(text)) == text
    # Not an exact round trip: spacing and line breaks are normalised.
    assert tokenizer.detokenize(tokenizer.tokenize("The  cat\nsat !")) == "The cat sat!"


def test_word_lowercase():
    tokenizer = WordTokenizer.fit("The the THE", lowercase=True)
    assert tokenizer.get_vocabulary() == ["[PAD]", "[UNK]", "the"]
    assert tokenizer.tokenize("tHe").tolist() == [2]
    with pytest.raises(ValueError, match="lowercases"):
        tokenizer.token_to_id("The")


def test_word_bad_arguments():
    with pytest.raises(ValueError, match="vocabulary_size=2"):
        WordTokenizer.fit(TEXT, vocabulary_size=2)
    with pytest.raises(ValueError, match="min_count=0"):
        WordTokenizer.fit(TEXT, min_count=0)
    with pytest.raises(ValueError, match="'zebra'"):
        WordTokenizer.fit(TEXT).token_to_id("zebra")


def test_oov_rate():
    vocabulary = WordTokenizer.fit("a b c").get_vocabulary()
    assert oov_rate(["a", "x", "b", "y"], vocabulary) == 0.5
    assert oov_rate(["a"], vocabulary) == 0.0
    with pytest.raises(ValueError, match="no tokens"):
        oov_rate([], vocabulary)
    with pytest.raises(TypeError, match="split_words"):
        oov_rate("a b", vocabulary)


# WordPiece


@pytest.fixture(scope="module")
def wordpiece():
    lines = [
        "the tokenizer splits words into pieces",
        "tokenizers and tokenization: pieces of words!",
        "unbelievable, unknowable, unthinkable.",
    ] * 3
    return train_wordpiece(lines, vocabulary_size=80)


def test_wordpiece_vocabulary(wordpiece):
    vocabulary = wordpiece.get_vocabulary()
    assert vocabulary[:2] == ["[PAD]", "[UNK]"]
    assert wordpiece.vocabulary_size() <= 80
    assert any(token.startswith("##") for token in vocabulary)


def test_wordpiece_guarantees(wordpiece):
    text = "the tokenizer, splits\nwords!"
    ids = wordpiece.tokenize(text)
    decoded = wordpiece.detokenize(ids)
    # Not an exact round trip: words and punctuation come back separated by single spaces ...
    assert decoded != text
    assert decoded.split() == split_words(text)
    # ... but tokenizing the decoded text gives the same ids again.
    assert np.array_equal(wordpiece.tokenize(decoded), ids)


def test_wordpiece_accepts_one_string_and_lowercases():
    tokenizer = train_wordpiece("Hello World\nhello world", vocabulary_size=40, lowercase=True)
    assert tokenizer.detokenize(tokenizer.tokenize("HELLO")) == "hello"


def test_wordpiece_bad_arguments():
    with pytest.raises(ValueError, match="vocabulary_size=2"):
        train_wordpiece("some text", vocabulary_size=2)
    with pytest.raises(ValueError, match="empty"):
        train_wordpiece(["", "  "], vocabulary_size=50)
    with pytest.raises(TypeError, match="Line 1"):
        train_wordpiece(["ok", b"bytes"], vocabulary_size=50)
