"""Byte-level BPE: the merge learner, its pure-Python encoder and the keras-hub tokenizer."""

from __future__ import annotations

import time

import numpy as np
import pytest

from course.environment import quiet_tensorflow
from course.text import (
    encode_with_merges,
    learn_bpe,
    split_for_bpe,
    train_byte_pair_tokenizer,
)
from course.text.bpe import byte_pair_tokenizer
from course.text.pretokenize import BYTE_SYMBOLS, split_special_and_chunks

TRAINING_TEXT = (
    "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox doesn't.\n"
    "In 2024 the fox ran 3.5 km -- twice!  Then it rested.\n\n"
    "Über café naïve: ça va? 日本語のテキスト。 Emoji 😀👍 too.\n"
) * 20

SAMPLES = [
    "The fox and the dog.",
    "A completely unseen sentence, with ZEBRAS and 12345 numbers!!",
    "  leading spaces, trailing spaces  ",
    "new\nlines\r\nand\ttabs\n\n\n",
    "Ünïcödé — 日本語, ελληνικά, русский, العربية, 😀🎉 emoji",
    "it's they're we'll I'd you've",
    "\u00a0no-break\u2009thin\u3000ideographic spaces",
    "",
]


@pytest.fixture(scope="module")
def bpe():
    return learn_bpe(TRAINING_TEXT, vocabulary_size=350, special_tokens=["<|endoftext|>"])


@pytest.fixture(scope="module")
def tokenizer(bpe):
    return byte_pair_tokenizer(bpe)


def test_merges_learned_in_expected_order():
    # Chunks "low", " lower", " lowest" (a space is written "Ġ"). Pair counts: (l,o)=3, (o,w)=3,
    # (Ġ,l)=2, (w,e)=2, (e,r)=(e,s)=(s,t)=1. Ties go to the pair that sorts first, and "Ġ"
    # (U+0120) sorts after every ASCII letter:
    #   1. "l o" (3, ties with "o w")      -> low / Ġ lo w e r / Ġ lo w e s t
    #   2. "lo w" (3)                      -> low / Ġ low e r / Ġ low e s t
    #   3. "low e" (2, ties with "Ġ low")  -> low / Ġ lowe r / Ġ lowe s t
    #   4. "Ġ lowe" (2)                    -> low / Ġlowe r / Ġlowe s t
    #   5. "s t" (1, ties with "Ġlowe r" and "Ġlowe s")
    bpe = learn_bpe("low lower lowest", vocabulary_size=261)
    assert bpe.merges == ["l o", "lo w", "low e", "Ġ lowe", "s t"]
    assert [bpe.vocabulary[t] for t in ["lo", "low", "lowe", "Ġlowe", "st"]] == list(
        range(256, 261)
    )


def test_vocabulary_holds_every_byte_then_special_tokens(bpe):
    assert all(bpe.vocabulary[symbol] == byte for byte, symbol in enumerate(BYTE_SYMBOLS))
    assert bpe.vocabulary["<|endoftext|>"] == 256
    assert BYTE_SYMBOLS[ord(" ")] == "Ġ"
    assert sorted(bpe.vocabulary.values()) == list(range(len(bpe.vocabulary)))


def test_vocabulary_size_is_honoured(bpe, tokenizer):
    assert bpe.vocabulary_size() == 350
    assert tokenizer.vocabulary_size() == 350
    # A text that runs out of pairs stops early, with a smaller vocabulary.
    assert learn_bpe("abab", vocabulary_size=1000).vocabulary_size() == 258


def test_round_trip_is_exact(bpe, tokenizer):
    for text in SAMPLES:
        assert bpe.decode(bpe.encode(text)) == text
        assert tokenizer.detokenize(tokenizer.tokenize(text)) == text


def test_keras_hub_matches_pure_python_encoding(bpe, tokenizer):
    for text in [*SAMPLES, TRAINING_TEXT[:2000]]:
        assert tokenizer.tokenize(text).numpy().tolist() == bpe.encode(text), text


def test_same_ids_inside_tf_data(bpe, tokenizer):
    tf = quiet_tensorflow()
    dataset = tf.data.Dataset.from_tensor_slices(SAMPLES[:5]).map(tokenizer)
    assert [ids.numpy().tolist() for ids in dataset] == [bpe.encode(t) for t in SAMPLES[:5]]


def test_special_tokens_stay_whole(bpe, tokenizer):
    text = "first document<|endoftext|>second one"
    ids = bpe.encode(text)
    assert ids.count(256) == 1
    assert tokenizer.tokenize(text).numpy().tolist() == ids
    assert tokenizer.detokenize(ids) == text


def test_split_for_bpe_follows_keras_hub():
    assert split_for_bpe("Hello world, it's 2024!\n") == [
        "Hello",
        " world",
        ",",
        " it",
        "'s",
        " 2024",
        "!",
        "\n",
    ]
    # All but the last space of a run stay apart, the last one goes with the next word.
    assert split_for_bpe("a   b") == ["a", "  ", " b"]
    assert split_special_and_chunks("x<|e|>y", ["<|e|>"]) == [
        ("x", False),
        ("<|e|>", True),
        ("y", False),
    ]


def test_encode_with_merges_shows_each_step():
    steps = encode_with_merges(" lower", ["l o", "lo w", "Ġ low", "e r"])
    assert steps == [
        ["Ġ", "l", "o", "w", "e", "r"],
        ["Ġ", "lo", "w", "e", "r"],
        ["Ġ", "low", "e", "r"],
        ["Ġlow", "e", "r"],
        ["Ġlow", "er"],
    ]
    # Only merges that were learned apply; rank order decides, not position in the word.
    assert encode_with_merges("aaa", ["a a"]) == [["a", "a", "a"], ["aa", "a"]]
    with pytest.raises(ValueError, match="two tokens"):
        encode_with_merges("ab", ["ab"])


def test_too_small_vocabulary_size_is_a_clear_error():
    with pytest.raises(ValueError, match=r"vocabulary_size=200 .* >= 257"):
        learn_bpe("some text", vocabulary_size=200)
    with pytest.raises(ValueError, match=r"1 special token.*>= 258"):
        learn_bpe("some text", vocabulary_size=257, special_tokens=["<|endoftext|>"])
    with pytest.raises(TypeError, match="vocabulary_size"):
        learn_bpe("some text", vocabulary_size=300.0)


def test_bad_special_tokens():
    with pytest.raises(TypeError, match="list of strings"):
        learn_bpe("text", 300, special_tokens="<|endoftext|>")
    with pytest.raises(ValueError, match="without spaces"):
        learn_bpe("text", 300, special_tokens=["<| end |>"])


def test_text_without_pairs_cannot_make_a_tokenizer():
    bpe = learn_bpe("a b c", vocabulary_size=300)
    assert bpe.merges == ["Ġ b", "Ġ c"]
    with pytest.raises(ValueError, match="no merges"):
        train_byte_pair_tokenizer("a", vocabulary_size=300)


def test_learning_is_fast_enough():
    rng = np.random.default_rng(0)
    words = [
        "".join(rng.choice(list("abcdefghijklmnop"), size=rng.integers(2, 9))) for _ in range(3000)
    ]
    text = " ".join(rng.choice(words, size=25_000))  # about 140 KB, 3000 distinct words
    start = time.perf_counter()
    bpe = learn_bpe(text, vocabulary_size=1000)
    assert time.perf_counter() - start < 10
    assert bpe.vocabulary_size() == 1000
