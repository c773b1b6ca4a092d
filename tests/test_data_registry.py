"""The dataset registry, the offline corpora and split_text. Nothing here downloads anything."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest

import course.data as data
from course.data import corpora, registry
from course.data.registry import REGISTRY_PATH


@pytest.fixture(autouse=True)
def offline(tmp_path, monkeypatch):
    """Cache in tmp_path, no mirror, and any attempt to open a URL fails the test."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("COURSE_DATA_MIRROR", raising=False)

    def no_urlopen(url, *args, **kwargs):
        raise AssertionError(f"a test of offline behaviour tried to open {url}")

    monkeypatch.setattr(urllib.request, "urlopen", no_urlopen)


def test_registry_file_is_at_repo_root():
    assert REGISTRY_PATH.is_file()
    assert REGISTRY_PATH.parent.name == "data"
    assert (REGISTRY_PATH.parents[1] / "pyproject.toml").is_file()


def test_list_datasets():
    assert data.list_datasets() == [
        "cmn-eng", "fra-eng", "pydoc", "sst2", "stdlib", "tinyshakespeare", "toy-fra-eng",
        "zh-sample",
    ]


def test_every_entry_is_complete():
    for name in data.list_datasets():
        info = data.describe(name)
        assert info.name == name
        assert info.description and info.licence
        assert info.kind in ("builtin", "download")
        assert info.task in ("text", "labelled", "pairs")
        if info.kind == "builtin":
            assert info.files == ()
            continue
        assert info.files, name
        for file in info.files:
            assert file.url.startswith("https://"), file
            assert re.fullmatch(r"[0-9a-f]{64}", file.sha256), file
            assert isinstance(file.bytes, int) and file.bytes > 0, file
            assert file.url.rsplit("/", 1)[-1] == file.name, file
        names = {f.name for f in info.files}
        assert set(info.splits.values()) <= names
        if info.task == "text":
            assert info.text_file in names
        elif info.task == "pairs":
            assert info.pairs_file in names
        else:
            assert info.splits


def test_known_facts_of_the_real_datasets():
    shakespeare = data.describe("tinyshakespeare").file("input.txt")
    assert shakespeare.bytes == 1_115_394
    assert shakespeare.sha256 == "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
    assert shakespeare.url == (
        "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
    )
    sst2 = data.describe("sst2")
    assert sst2.splits == {"train": "train.tsv", "dev": "dev.tsv", "test": "test.tsv"}
    assert {f.name: f.bytes for f in sst2.files} == {
        "train.tsv": 3_806_081,
        "dev.tsv": 94_414,
        "test.tsv": 193_576,
    }


def test_describe_prints_a_summary():
    text = str(data.describe("tinyshakespeare"))
    assert "tinyshakespeare" in text and "1,115,394 bytes" in text and "licence" in text


def test_unknown_name_lists_valid_names_and_a_close_match():
    with pytest.raises(data.DatasetError) as err:
        data.describe("tiny_shakespeare")
    message = str(err.value)
    assert "'tiny_shakespeare'" in message
    assert "Did you mean 'tinyshakespeare'?" in message
    for name in data.list_datasets():
        assert name in message
    assert isinstance(err.value, ValueError)
    with pytest.raises(data.DatasetError, match="Valid names: cmn-eng, fra-eng, pydoc"):
        data.load_text("nothing-like-it")


def test_builtin_corpora_have_nothing_to_fetch():
    for name in ("pydoc", "stdlib"):
        with pytest.raises(data.DatasetError, match="builtin corpus"):
            data.fetch(name)


def test_unknown_file_lists_the_files():
    with pytest.raises(data.DatasetError, match="Its files are: train.tsv, dev.tsv, test.tsv"):
        data.fetch("sst2", "validation.tsv")


def test_wrong_task_says_which_loader_to_use():
    with pytest.raises(data.DatasetError, match="load_labelled"):
        data.load_text("sst2")
    with pytest.raises(data.DatasetError, match="load_text"):
        data.load_labelled("pydoc", "train")


def test_bad_split_lists_valid_splits():
    with pytest.raises(data.DatasetError, match="Valid splits: train, dev, test"):
        data.load_sst2("validation")


def test_pydoc_corpus_is_offline_and_deterministic():
    text = data.load_text("pydoc")
    assert 300_000 < len(text) < 800_000
    assert text.startswith('The "assert" statement')
    corpora._builtin_text.cache_clear()
    assert data.load_text("pydoc") == text
    assert data.load_text("pydoc", max_chars=100) == text[:100]
    assert data.load_text("pydoc", max_chars=0) == ""


def test_stdlib_corpus_is_offline_and_deterministic():
    text = data.load_text("stdlib")
    assert len(text) == data.describe("stdlib").max_chars == 1_000_000
    assert text.startswith("# ==== stdlib/abc.py ====\n")
    headers = re.findall(r"^# ==== stdlib/(\S+) ====$", text, flags=re.MULTILINE)
    assert len(headers) > 10
    assert headers == sorted(headers)
    assert not any(h.startswith(("_", "test")) for h in headers)
    assert all("site-packages" not in str(p) for p in corpora.stdlib_files())
    corpora._builtin_text.cache_clear()
    assert data.load_text("stdlib") == text


def test_load_text_rejects_negative_max_chars():
    with pytest.raises(ValueError, match="max_chars"):
        data.load_text("pydoc", max_chars=-1)


def test_registry_is_checked(tmp_path, monkeypatch):
    bad = tmp_path / "registry.toml"
    bad.write_text(
        '[[dataset]]\nname = "x"\ndescription = "d"\nkind = "download"\ntask = "text"\n'
        'licence = "l"\n[[dataset.files]]\nname = "f"\nurl = "https://example.org/f"\n'
        'sha256 = "abc"\nbytes = 3\n'
    )
    monkeypatch.setattr(registry, "REGISTRY_PATH", bad)
    registry.registry.cache_clear()
    try:
        with pytest.raises(data.DatasetError, match="malformed sha256"):
            registry.registry()
    finally:
        registry.registry.cache_clear()


@pytest.mark.parametrize("fraction", [0.05, 0.1, 0.25, 0.5])
def test_split_text_on_a_real_corpus(fraction):
    text = data.load_text("pydoc")
    train, validation = data.split_text(text, fraction)
    assert train + validation == text
    assert train.endswith("\n")
    assert abs(len(validation) - fraction * len(text)) <= 1000
    assert data.split_text(text, fraction) == (train, validation)


def test_split_text_cuts_at_the_nearest_newline():
    assert data.split_text("one\ntwo\nthree\nfour\nfive\n", 0.3) == (
        "one\ntwo\nthree\nfour\n",
        "five\n",
    )
    assert data.split_text("aaaa\nbbbbbb", 0.5) == ("aaaa\n", "bbbbbb")


def test_split_text_without_newlines_cuts_exactly():
    assert data.split_text("abcdefghij", 0.2) == ("abcdefgh", "ij")
    assert data.split_text("ab", 0.01) == ("a", "b")
    assert data.split_text("", 0.1) == ("", "")


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_split_text_rejects_bad_fractions(fraction):
    with pytest.raises(ValueError, match="validation_fraction"):
        data.split_text("abc\ndef\n", fraction)
