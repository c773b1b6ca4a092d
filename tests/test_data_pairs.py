"""Sentence pairs: the fra-eng snapshot from the mirror, a user's own file, the toy set, the split.

The fra-eng tests read the real file through the data mirror (as the sst2 tests do) and are
skipped without one, unless COURSE_REQUIRE_MIRROR is set (then test_data_download fails loudly).
"""

from __future__ import annotations

import pytest

import course.data as data
from course.data import download
from tests.test_data_download import REAL_MIRROR, needs_mirror


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(REAL_MIRROR))
    monkeypatch.setattr(download, "_VERIFIED", set())


def test_registry_entries():
    info = data.describe("fra-eng")
    assert (info.kind, info.task, info.pairs_file) == ("download", "pairs", "fra.txt")
    file = info.file("fra.txt")
    assert file.bytes == 3_996_979
    assert file.sha256 == "ab1d28db65ab062e06d7fc3b399872d431becfb8af152268dc4b6cdf50260530"
    assert file.url.startswith("https://raw.githubusercontent.com/Soubhagya264/")
    toy = data.describe("toy-fra-eng")
    assert (toy.kind, toy.task) == ("builtin", "pairs")


@needs_mirror
def test_fra_eng_drops_the_cut_last_line(mirror):
    pairs = data.load_translation_pairs("fra-eng")
    assert len(pairs) == 76_037  # 76,038 lines, the last one cut short
    assert pairs[0] == ("Go.", "Va !")
    assert pairs[-1] == ("My whole family is doing well.", "Toute ma famille se porte bien.")
    assert all(english != "My wisdom teeth are coming in." for english, _ in pairs)
    assert all(english and french for english, french in pairs)
    assert data.load_translation_pairs("fra-eng", max_pairs=3) == pairs[:3]


@needs_mirror
def test_fra_eng_split_keeps_each_english_sentence_on_one_side(mirror):
    pairs = data.load_translation_pairs("fra-eng")
    train, test = data.split_pairs(pairs, test_fraction=0.1, seed=0)
    assert len(train) + len(test) == len(pairs)
    assert not {english for english, _ in train} & {english for english, _ in test}
    assert abs(len(test) / len(pairs) - 0.1) < 0.01
    # "Run!" has several translations; they all land on the same side.
    runs = [pair for pair in pairs if pair[0] == "Run!"]
    assert len(runs) > 1
    assert all(pair in train for pair in runs) or all(pair in test for pair in runs)
    assert data.split_pairs(pairs, 0.1, seed=0) == (train, test)
    assert data.split_pairs(pairs, 0.1, seed=1) != (train, test)


def test_a_users_newer_file_with_extra_columns(tmp_path):
    path = tmp_path / "fra.txt"
    path.write_text(
        "Go.\tVa !\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272 (CM)\n"
        "Hi.\tSalut !\tCC-BY 2.0 (France)\n\n"
        "Run!\tCours !\r\n",
        encoding="utf-8",
    )
    assert data.load_translation_pairs(path=path) == [
        ("Go.", "Va !"), ("Hi.", "Salut !"), ("Run!", "Cours !")
    ]


def test_an_unterminated_last_line_is_dropped_with_a_warning(tmp_path):
    path = tmp_path / "fra.txt"
    path.write_text("Go.\tVa !\nMy wisdom teeth are coming in.\tMes dents ", encoding="utf-8")
    with pytest.warns(UserWarning, match="cut short"):
        assert data.read_pairs_file(path) == [("Go.", "Va !")]
    kept = data.read_pairs_file(path, drop_unterminated_last_line=False)
    assert kept[-1] == ("My wisdom teeth are coming in.", "Mes dents")


def test_a_malformed_line_is_named(tmp_path):
    path = tmp_path / "fra.txt"
    path.write_text("Go.\tVa !\nno tab here\n", encoding="utf-8")
    with pytest.raises(data.DatasetError, match="line 2.*source<TAB>target"):
        data.read_pairs_file(path)


def test_toy_pairs_are_deterministic_and_show_agreement_and_order():
    pairs = data.load_translation_pairs("toy-fra-eng")
    assert len(pairs) == len(set(pairs)) == 4000
    assert pairs == data.load_translation_pairs("toy-fra-eng")
    assert ("the car is black .", "la voiture est noire .") in pairs
    assert ("he likes the green car .", "il aime la voiture verte .") in pairs
    # "je aime" elides to "j'aime", every time
    likes = [french for english, french in pairs if english.startswith("i like ")]
    assert likes and all(french.startswith("j'aime ") for french in likes)
    assert max(len(english.split()) for english, _ in pairs) == 8


def test_wrong_kind_of_dataset_says_which_loader():
    with pytest.raises(data.DatasetError, match="load_translation_pairs"):
        data.load_text("toy-fra-eng")
    with pytest.raises(data.DatasetError, match="not a sentence-pairs dataset"):
        data.load_translation_pairs("pydoc")
    with pytest.raises(data.DatasetError, match="load_translation_pairs"):
        data.load_labelled("fra-eng", "train")


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.5, "0.1"])
def test_split_rejects_bad_fractions(fraction):
    with pytest.raises(ValueError, match="test_fraction"):
        data.split_pairs([("a", "b"), ("c", "d")], fraction)


def test_split_needs_two_sources():
    with pytest.raises(ValueError, match="two distinct source"):
        data.split_pairs([("a", "b"), ("a", "c")])
