"""Downloading through the cache: from a local mirror, with wrong files, with no network.

No test here touches the network: URLs are file:// URLs into a mirror folder, and any http(s)
URL fails the test. The real mirror (a folder laid out as NAME/FILE holding the true files) is
found through COURSE_DATA_MIRROR when that names a local folder or file:// URL, else at
<repo root>/../shared/data; tests that need it are skipped when it is absent. Everything written
goes under pytest's tmp_path.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.parse
import urllib.request
import warnings
from pathlib import Path

import pytest

import course.data as data
from course.data import download

REPO_ROOT = Path(__file__).resolve().parents[1]
_ORIGINAL_URLOPEN = urllib.request.urlopen


def _real_mirror() -> Path | None:
    value = os.environ.get("COURSE_DATA_MIRROR", "").strip()
    if value.startswith("file://"):
        candidate = Path(urllib.request.url2pathname(urllib.parse.urlparse(value).path))
    elif value and "://" not in value:
        candidate = Path(value).expanduser()
    else:
        candidate = REPO_ROOT.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None


REAL_MIRROR = _real_mirror()
if REAL_MIRROR is None and os.environ.get("COURSE_REQUIRE_MIRROR"):
    raise RuntimeError(
        "COURSE_REQUIRE_MIRROR is set (as .ci/run sets it) but no data mirror was found: set "
        "COURSE_DATA_MIRROR to the folder laid out as NAME/FILE (../shared/data in CI)."
    )
needs_mirror = pytest.mark.skipif(
    REAL_MIRROR is None,
    reason="no local data mirror: set COURSE_DATA_MIRROR to a folder laid out as NAME/FILE "
    "(or a file:// URL), or provide <repo root>/../shared/data",
)


@pytest.fixture
def calls(tmp_path, monkeypatch):
    """A fresh cache in tmp_path, no mirror, and a record of every URL opened (file:// only)."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("COURSE_DATA_MIRROR", raising=False)
    monkeypatch.setattr(download, "_VERIFIED", set())
    opened: list[str] = []

    def counting_urlopen(url, *args, **kwargs):
        assert str(url).startswith("file://"), f"a test tried to open {url}"
        opened.append(str(url))
        return _ORIGINAL_URLOPEN(url, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", counting_urlopen)
    return opened


def _cache_files(tmp_path: Path) -> list[Path]:
    cache = tmp_path / "cache"
    return sorted(p for p in cache.rglob("*") if not p.is_dir()) if cache.exists() else []


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_data_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "somewhere"))
    assert data.data_dir() == tmp_path / "somewhere"
    monkeypatch.delenv("COURSE_DATA_DIR")
    assert data.data_dir() == Path.home() / ".cache" / "course" / "data"


@needs_mirror
def test_download_from_a_mirror_folder(tmp_path, monkeypatch, calls):
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(REAL_MIRROR))
    path = data.fetch("tinyshakespeare")
    assert path == tmp_path / "cache" / "tinyshakespeare" / "input.txt"
    info = data.describe("tinyshakespeare").file("input.txt")
    assert path.stat().st_size == info.bytes
    assert _sha256(path) == info.sha256
    assert _cache_files(tmp_path) == [path]  # no temporary file left behind
    assert calls == [(REAL_MIRROR.resolve() / "tinyshakespeare" / "input.txt").as_uri()]
    text = data.load_text("tinyshakespeare")
    assert len(text) == 1_115_394 and len(set(text)) == 65
    assert text.startswith("First Citizen:")
    assert len(calls) == 1


@needs_mirror
def test_labelled_download_from_a_file_url_mirror(tmp_path, monkeypatch, calls):
    monkeypatch.setenv("COURSE_DATA_MIRROR", REAL_MIRROR.resolve().as_uri() + "/")
    dev = data.load_sst2("dev")
    assert len(dev) == 872
    assert dev[0] == ("one long string of cliches .", 0)
    assert {label for _, label in dev} == {0, 1}
    test = data.load_labelled("sst2", "test")
    assert len(test) == 1821
    assert [Path(u).name for u in calls] == ["dev.tsv", "test.tsv"]


@needs_mirror
def test_fetch_without_filename_gets_every_file(tmp_path, monkeypatch, calls):
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(REAL_MIRROR))
    folder = data.fetch("sst2")
    assert folder == tmp_path / "cache" / "sst2"
    assert sorted(p.name for p in folder.iterdir()) == ["dev.tsv", "test.tsv", "train.tsv"]
    train = data.load_sst2("train")
    assert len(train) == 67_349
    assert len(calls) == 3


@needs_mirror
def test_cached_file_is_reused_without_a_second_download(tmp_path, monkeypatch, calls):
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(REAL_MIRROR))
    first = data.fetch("sst2", "dev.tsv")
    assert len(calls) == 1
    assert data.fetch("sst2", "dev.tsv") == first
    assert len(data.load_sst2("dev")) == 872
    # As in a new Python process: the sha256 is checked again, the file is still not downloaded.
    monkeypatch.setattr(download, "_VERIFIED", set())
    monkeypatch.delenv("COURSE_DATA_MIRROR")
    assert data.fetch("sst2", "dev.tsv") == first
    assert len(calls) == 1
    assert len(download._VERIFIED) == 1


@needs_mirror
@pytest.mark.parametrize("damage", ["same size", "truncated"])
def test_damaged_cached_file_is_replaced(tmp_path, monkeypatch, calls, damage):
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(REAL_MIRROR))
    path = data.fetch("sst2", "dev.tsv")
    good = path.read_bytes()
    path.write_bytes(b"x" * len(good) if damage == "same size" else good[:100])
    monkeypatch.setattr(download, "_VERIFIED", set())
    with pytest.warns(UserWarning, match="damaged"):
        assert data.fetch("sst2", "dev.tsv") == path
    assert path.read_bytes() == good
    assert len(calls) == 2


def test_checksum_mismatch_names_both_hashes_and_leaves_nothing(tmp_path, monkeypatch, calls):
    mirror = tmp_path / "fake-mirror"
    (mirror / "tinyshakespeare").mkdir(parents=True)
    wrong = b"To be, or not to be: this is not the file you are looking for.\n"
    (mirror / "tinyshakespeare" / "input.txt").write_bytes(wrong)
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    expected = data.describe("tinyshakespeare").file("input.txt").sha256
    with pytest.raises(data.DatasetError) as err:
        data.fetch("tinyshakespeare")
    message = str(err.value)
    assert "input.txt" in message
    assert expected in message
    assert hashlib.sha256(wrong).hexdigest() in message
    assert "nothing was saved" in message
    assert _cache_files(tmp_path) == []
    assert len(calls) == 1
    assert (mirror / "tinyshakespeare" / "input.txt").read_bytes() == wrong  # mirror untouched


def test_no_network_and_no_mirror_says_how_to_supply_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("COURSE_DATA_MIRROR", raising=False)
    opened = []

    def offline_urlopen(url, *args, **kwargs):
        opened.append(url)
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", offline_urlopen)
    info = data.describe("sst2").file("dev.tsv")
    with pytest.raises(data.DatasetError) as err:
        data.load_sst2("dev")
    message = str(err.value)
    assert opened == [info.url]
    assert "name resolution" in message
    assert info.url in message
    assert str(tmp_path / "cache" / "sst2" / "dev.tsv") in message
    assert info.sha256 in message
    assert "COURSE_DATA_MIRROR" in message
    assert _cache_files(tmp_path) == []
    assert not (tmp_path / "cache" / "sst2").exists()  # no empty folder left either


def test_a_file_put_in_place_by_hand_is_used(tmp_path, monkeypatch, calls):
    content = b"label\tsentence\n1\ta fine film .\n"
    fake = data.FileInfo(
        name="dev.tsv",
        url="https://example.org/dev.tsv",
        sha256=hashlib.sha256(content).hexdigest(),
        bytes=len(content),
    )
    info = data.describe("sst2")
    monkeypatch.setattr(type(info), "file", lambda self, filename: fake)
    target = tmp_path / "cache" / "sst2" / "dev.tsv"
    target.parent.mkdir(parents=True)
    target.write_bytes(content)
    assert data.load_sst2("dev") == [("a fine film .", 1)]
    assert calls == []


def test_mirror_without_the_file_says_so(tmp_path, monkeypatch, calls):
    mirror = tmp_path / "empty-mirror"
    mirror.mkdir()
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    with pytest.raises(data.DatasetError, match="from the mirror") as err:
        data.fetch("sst2", "dev.tsv")
    assert "COURSE_DATA_MIRROR" in str(err.value)
    assert _cache_files(tmp_path) == []


def test_mirror_that_is_not_a_folder_or_url(tmp_path, monkeypatch, calls):
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(tmp_path / "no-such-folder"))
    with pytest.raises(data.DatasetError, match="neither a URL"):
        data.fetch("tinyshakespeare")
    assert calls == []


def test_interrupted_transfer_leaves_no_partial_file(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("COURSE_DATA_MIRROR", raising=False)

    class BrokenResponse:
        def __init__(self):
            self.sent = False

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self, size=-1):
            if not self.sent:
                self.sent = True
                return b"First Citizen:\n"
            raise ConnectionResetError("connection reset by peer")

    monkeypatch.setattr(urllib.request, "urlopen", lambda url, *a, **k: BrokenResponse())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(data.DatasetError, match="broke off after 15 bytes"):
            data.fetch("tinyshakespeare")
    assert _cache_files(tmp_path) == []
