"""Facts about the kit itself, read from ``pyproject.toml`` so that each is written once.

The repository's public address, the list of dependencies with their version ranges, and what
Google Colab already provides all live in ``pyproject.toml``. The notebooks' "Open in Colab"
badges and Colab install cells are generated from them here, and a test checks that every notebook
carries exactly what these functions produce.
"""

from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
"""The root of the kit's checkout (the folder holding ``pyproject.toml``)."""

NOTEBOOKS = ROOT / "notebooks"
COLAB_CHECKOUT = "/content/llm-course-kit"
"""Where the Colab install cell clones the kit."""


@functools.cache
def _pyproject() -> dict[str, Any]:
    with open(ROOT / "pyproject.toml", "rb") as file:
        return tomllib.load(file)


def repository_url() -> str:
    """The public address of the kit's repository.

    Example:
        >>> repository_url().startswith("https://github.com/")
        True
    """
    return _pyproject()["project"]["urls"]["Repository"]


def _split_requirement(line: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", line)
    if match is None:
        raise ValueError(f"Cannot read the requirement {line!r} in pyproject.toml.")
    return match.group(1).lower(), match.group(2).strip()


def dependencies() -> list[tuple[str, str]]:
    """The kit's dependencies as ``(name, version range)`` pairs, from ``pyproject.toml``.

    Example:
        >>> dict(dependencies())["keras"]
        '>=3.13,<3.16'
    """
    return [_split_requirement(line) for line in _pyproject()["project"]["dependencies"]]


def version_in_range(version: str, spec: str) -> bool:
    """Whether ``version`` satisfies a range such as ``'>=3.13,<3.16'``.

    Example:
        >>> version_in_range("3.14.0", ">=3.13,<3.16"), version_in_range("3.16.0", ">=3.13,<3.16")
        (True, False)
    """
    from packaging.specifiers import SpecifierSet

    return SpecifierSet(spec).contains(version, prereleases=True)


def colab_provided() -> list[str]:
    """Packages Colab's image already has, which the Colab install cell leaves alone."""
    return list(_pyproject()["tool"]["course"]["colab"]["provided"])


def colab_install_cell() -> str:
    """The source of the first code cell of every notebook: installs the kit in Colab only.

    It clones the repository, installs ``course`` without touching its dependencies, and installs
    only the dependencies Colab lacks, so Colab's own TensorFlow and Keras are never upgraded.
    Anywhere else the cell does nothing.

    Example:
        >>> "google.colab" in colab_install_cell()
        True
    """
    provided = set(colab_provided())
    missing = ", ".join(f'"{name}{spec}"' for name, spec in dependencies() if name not in provided)
    return "\n".join(
        [
            "# Colab only: fetch the kit and install what Colab lacks (its TensorFlow and Keras",
            "# are left as they are). Elsewhere this cell does nothing: see the README to install.",
            "import os",
            "import subprocess",
            "import sys",
            "",
            f'REPOSITORY = "{repository_url()}"',
            f'KIT = "{COLAB_CHECKOUT}"',
            'if "google.colab" in sys.modules:',
            '    clone = ["git", "clone", "-q", "--depth", "1", REPOSITORY, KIT]',
            "    subprocess.run(clone, check=False)  # fails harmlessly when already cloned",
            '    pip = [sys.executable, "-m", "pip", "install", "-q"]',
            '    subprocess.run([*pip, "--no-deps", "-e", KIT], check=True)',
            f"    subprocess.run([*pip, {missing}], check=True)",
            "    sys.path.insert(0, KIT)",
            '    os.chdir(f"{KIT}/notebooks")',
        ]
    )


def colab_url(notebook: str) -> str:
    """The Colab address that opens ``notebooks/<notebook>`` from the repository.

    Example:
        >>> colab_url("00_setup.ipynb").endswith("/blob/main/notebooks/00_setup.ipynb")
        True
    """
    path = repository_url().removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{path}/blob/main/notebooks/{notebook}"


def colab_badge(notebook: str) -> str:
    """Markdown for the "Open in Colab" badge of one notebook."""
    return (
        f"[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"({colab_url(notebook)})"
    )


def chapter_notebooks() -> list[Path]:
    """The chapter notebooks in order (``notebooks/NN_*.ipynb``)."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
