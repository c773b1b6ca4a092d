"""Downloading dataset files into the local cache, checked against the registry's sha256.

Files are cached at ``<data_dir()>/<dataset>/<file>``. A download streams into a temporary file in
that same folder, is checked (size and sha256) and only then renamed into place, so the cache never
holds a partial or corrupt file under a real name.

Two environment variables change where files come from and go to:

* ``COURSE_DATA_DIR``: the cache folder (default ``~/.cache/course/data``).
* ``COURSE_DATA_MIRROR``: fetch ``<mirror>/<dataset>/<file>`` instead of the public address. Either
  a local folder laid out as ``NAME/FILE`` or a ``file://``, ``http://`` or ``https://`` base URL.
  The same checks and the same cache apply.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import urllib.error
import urllib.parse
import urllib.request
import warnings
from pathlib import Path

from tqdm.auto import tqdm

from course.data.registry import DatasetError, DatasetInfo, FileInfo, describe

DATA_DIR_ENV = "COURSE_DATA_DIR"
MIRROR_ENV = "COURSE_DATA_MIRROR"

_CHUNK_BYTES = 1 << 16
_TIMEOUT_S = 60.0

# Cached files whose sha256 has been checked in this process, keyed by (path, size, mtime in ns):
# later uses only compare the size, and a file that is replaced gets a new key and a new check.
_VERIFIED: set[tuple[str, int, int]] = set()


def data_dir() -> Path:
    """The cache folder for downloaded datasets.

    Set the ``COURSE_DATA_DIR`` environment variable to use another folder. The folder is created
    when the first file is downloaded, not by this function.

    Returns:
        ``$COURSE_DATA_DIR`` if it is set, else ``~/.cache/course/data``.

    Example:
        >>> from unittest import mock
        >>> with mock.patch.dict("os.environ", {"COURSE_DATA_DIR": "/tmp/course-data"}):
        ...     print(data_dir())
        /tmp/course-data
    """
    value = os.environ.get(DATA_DIR_ENV, "").strip()
    if value:
        return Path(value).expanduser()
    return Path.home() / ".cache" / "course" / "data"


def mirror_base() -> str | None:
    """The base URL of the mirror named by ``COURSE_DATA_MIRROR``, if it is set.

    Returns:
        ``None`` when the variable is unset or empty; otherwise a URL without a trailing slash
        (a local folder is turned into a ``file://`` URL).

    Raises:
        DatasetError: if the variable names neither a URL nor an existing folder.

    Example:
        >>> from unittest import mock
        >>> with mock.patch.dict("os.environ", {"COURSE_DATA_MIRROR": "https://example.org/d/"}):
        ...     print(mirror_base())
        https://example.org/d
    """
    value = os.environ.get(MIRROR_ENV, "").strip()
    if not value:
        return None
    if "://" in value:
        return value.rstrip("/")
    folder = Path(value).expanduser()
    if not folder.is_dir():
        raise DatasetError(
            f"{MIRROR_ENV}={value!r} is neither a URL (file://, http://, https://) nor an "
            f"existing folder. Point it at a folder laid out as NAME/FILE, or unset it to "
            f"download from the public addresses."
        )
    return folder.resolve().as_uri()


def source_url(dataset: str, file: FileInfo) -> str:
    """Where a file is downloaded from: the mirror if ``COURSE_DATA_MIRROR`` is set, else its url.

    Args:
        dataset: The dataset name.
        file: The file's registry entry.

    Returns:
        The URL that :func:`fetch` will open.
    """
    base = mirror_base()
    if base is None:
        return file.url
    return f"{base}/{urllib.parse.quote(dataset)}/{urllib.parse.quote(file.name)}"


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _cache_key(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns)


def _cached_file_ok(path: Path, file: FileInfo) -> tuple[bool, str]:
    """Check a cached file: its size every time, its sha256 on first use in this process."""
    key = _cache_key(path)
    if key[1] != file.bytes:
        return False, f"it has {key[1]:,} bytes instead of {file.bytes:,}"
    if key in _VERIFIED:
        return True, ""
    actual = _sha256_of(path)
    if actual != file.sha256:
        return False, f"its sha256 is {actual} instead of {file.sha256}"
    _VERIFIED.add(key)
    return True, ""


def _by_hand_message(info: DatasetInfo, file: FileInfo, url: str, target: Path, why: str) -> str:
    label = f"{info.name}/{file.name}"
    if url != file.url:
        first = (
            f"Could not fetch {label} from the mirror {url} ({MIRROR_ENV} is set): {why}. "
            f"Check that the mirror holds {label}, or unset {MIRROR_ENV} to use the public "
            f"address."
        )
    else:
        first = (
            f"Could not download {label} from {url}: {why}. "
            f"This machine may have no internet access."
        )
    return (
        f"{first}\nTo supply the file by hand:\n"
        f"  1. download {file.url} on a machine with internet access;\n"
        f"  2. put it at exactly this path: {target}\n"
        f"  3. check that it has {file.bytes:,} bytes and sha256 {file.sha256}\n"
        f"     (sha256sum or `shasum -a 256` prints it).\n"
        f"Or set {MIRROR_ENV} to a folder laid out as NAME/FILE (or a file://, http:// or "
        f"https:// base URL) that holds {label}."
    )


def _download(info: DatasetInfo, file: FileInfo, target: Path) -> None:
    """Stream one file into a temporary file next to ``target``, check it, rename it into place."""
    url = source_url(info.name, file)
    new_folder = not target.parent.exists()
    target.parent.mkdir(parents=True, exist_ok=True)
    # A unique temporary name in the same folder, so that the final rename is atomic. Created with
    # os.open rather than tempfile.mkstemp so that the cached file gets the usual permissions.
    tmp = target.parent / f".{file.name}.{os.getpid()}.{secrets.token_hex(4)}.part"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    handle = os.open(tmp, flags, 0o666)
    try:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(handle, "wb") as out:
            try:
                response = urllib.request.urlopen(url, timeout=_TIMEOUT_S)
            except (urllib.error.URLError, OSError, ValueError) as exc:
                why = str(getattr(exc, "reason", None) or exc)
                raise DatasetError(_by_hand_message(info, file, url, target, why)) from exc
            with (
                response,
                tqdm(
                    total=file.bytes,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    desc=f"{info.name}/{file.name}",
                ) as bar,
            ):
                while True:
                    try:
                        chunk = response.read(_CHUNK_BYTES)
                    except OSError as exc:
                        why = f"the transfer broke off after {size:,} bytes ({exc})"
                        raise DatasetError(_by_hand_message(info, file, url, target, why)) from exc
                    if not chunk:
                        break
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                    bar.update(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if size != file.bytes or actual != file.sha256:
            raise DatasetError(
                f"Checksum mismatch for {info.name}/{file.name} downloaded from {url}: "
                f"expected sha256 {file.sha256} ({file.bytes:,} bytes), "
                f"got sha256 {actual} ({size:,} bytes). The download was discarded and nothing "
                f"was saved in the cache. If {MIRROR_ENV} is set, its copy of the file is wrong; "
                f"otherwise the file at the public address has changed or the download was "
                f"damaged: try again, or supply the file by hand at {target}."
            )
        os.replace(tmp, target)
        _VERIFIED.add(_cache_key(target))
    finally:
        tmp.unlink(missing_ok=True)
        if new_folder and not target.exists():
            try:
                target.parent.rmdir()  # only the empty folder made above for this download
            except OSError:
                pass


def _fetch_file(info: DatasetInfo, file: FileInfo) -> Path:
    target = data_dir() / info.name / file.name
    if target.is_file():
        ok, why = _cached_file_ok(target, file)
        if ok:
            return target
        warnings.warn(
            f"The cached file {target} is damaged ({why}); removing it and downloading it again.",
            stacklevel=3,
        )
        target.unlink()
    _download(info, file, target)
    return target


def fetch(name: str, filename: str | None = None) -> Path:
    """Make sure a dataset's file is in the cache (downloading it if needed) and return its path.

    The file is downloaded from the public address in the registry, or from
    ``$COURSE_DATA_MIRROR/<name>/<file>`` when that variable is set, and stored at
    ``data_dir() / name / file`` once its size and sha256 match the registry. A cached file is
    reused; its sha256 is checked again on its first use in each Python process.

    Args:
        name: A dataset of kind ``"download"``, e.g. ``"tinyshakespeare"``.
        filename: One of the dataset's files. If omitted, a dataset with one file returns that
            file; a dataset with several files fetches all of them and returns their folder.

    Returns:
        The path of the cached file (or of the dataset's folder, see ``filename``).

    Raises:
        DatasetError: for an unknown dataset or file, a builtin corpus (nothing to fetch), a
            download that fails (the message says how to supply the file by hand) or a file
            whose sha256 does not match (nothing is left in the cache).

    Example:
        >>> fetch("pydoc")
        Traceback (most recent call last):
        ...
        course.data.registry.DatasetError: 'pydoc' is a builtin corpus: ...
    """
    info = describe(name)
    if filename is not None:
        return _fetch_file(info, info.file(filename))
    if info.kind == "builtin":
        info.file("")  # raises the builtin-corpus error
    if len(info.files) == 1:
        return _fetch_file(info, info.files[0])
    for file in info.files:
        _fetch_file(info, file)
    return data_dir() / info.name
