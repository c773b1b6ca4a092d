"""reveal.js and KaTeX from npm, copied next to the built decks so that they work offline.

``slides/package.json`` and ``slides/package-lock.json`` pin both packages (with their checksums).
The first build installs them with ``npm ci`` into a cache folder, ``build/npm`` (the environment
variable ``COURSE_SLIDES_NPM`` chooses another); later builds reuse it and need no network. The
build then copies the few files a presentation loads into ``_reveal/`` and ``_katex/`` beside
the decks: nothing is fetched from a CDN when the slides are shown.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from course.project import ROOT

NPM_CACHE_VARIABLE = "COURSE_SLIDES_NPM"
SLIDES = ROOT / "slides"

#: What a presentation loads, relative to each package's folder in ``node_modules``.
REVEAL_FILES = [
    "dist/reset.css",
    "dist/reveal.css",
    "dist/reveal.js",
    "dist/theme/white.css",
    "dist/plugin/notes.js",
    "LICENSE",
]
KATEX_FILES = ["dist/katex.min.css", "dist/katex.min.js", "dist/fonts", "LICENSE"]


def npm_cache() -> Path:
    """The folder that holds ``node_modules`` with the pinned packages."""
    return Path(os.environ.get(NPM_CACHE_VARIABLE) or ROOT / "build" / "npm")


def pinned_versions() -> dict[str, str]:
    """The pinned version of each package, from ``slides/package.json``.

    Example:
        >>> sorted(pinned_versions())
        ['katex', 'reveal.js']
    """
    return dict(json.loads((SLIDES / "package.json").read_text())["dependencies"])


def installed_version(package: str, cache: Path | None = None) -> str | None:
    """The version of ``package`` in the cache, or ``None`` if it is not there."""
    manifest = (cache or npm_cache()) / "node_modules" / package / "package.json"
    if not manifest.exists():
        return None
    return json.loads(manifest.read_text()).get("version")


def install(cache: Path | None = None, quiet: bool = True) -> Path:
    """Make sure the pinned packages are in the cache, running ``npm ci`` only if they are not.

    Args:
        cache: the cache folder (default :func:`npm_cache`).
        quiet: hide npm's output unless it fails.

    Returns:
        The ``node_modules`` folder.

    Raises:
        RuntimeError: if npm is missing or fails, with what to do about it.
    """
    cache = cache or npm_cache()
    wanted = pinned_versions()
    if all(installed_version(name, cache) == version for name, version in wanted.items()):
        return cache / "node_modules"
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "Building the slides needs reveal.js and KaTeX from npm, and npm is not installed. "
            "Install Node.js and npm (Debian/Ubuntu: apt-get install nodejs npm), or copy a "
            f"node_modules folder holding {wanted} to {cache} (or set {NPM_CACHE_VARIABLE})."
        )
    cache.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(SLIDES / name, cache / name)
    command = [npm, "ci", "--prefix", str(cache), "--ignore-scripts", "--no-audit", "--no-fund"]
    done = subprocess.run(command, capture_output=quiet, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed (exit {done.returncode}):\n{done.stderr or ''}\n"
            "npm needs to reach its registry once; later builds work offline."
        )
    return cache / "node_modules"


def copy_assets(out: Path, cache: Path | None = None) -> None:
    """Copy the files the presentations load into ``out/_reveal`` and ``out/_katex``.

    Args:
        out: the folder of the built decks.
        cache: the npm cache (installed first if needed).
    """
    modules = install(cache)
    for package, files, target in (
        ("reveal.js", REVEAL_FILES, out / "_reveal"),
        ("katex", KATEX_FILES, out / "_katex"),
    ):
        for name in files:
            source = modules / package / name
            destination = target / name.removeprefix("dist/")
            destination.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, destination, dirs_exist_ok=True)
            else:
                shutil.copyfile(source, destination)
