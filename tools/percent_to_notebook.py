"""Build a chapter notebook from a percent-format script (``# %%`` cells), for authors.

Usage: ``python tools/percent_to_notebook.py SCRIPT.py notebooks/NN_name.ipynb``

Cells start with ``# %%`` (code) or ``# %% [markdown]`` (Markdown, each line prefixed ``# ``).
The Colab badge and install cell are inserted from ``course.project`` so they always agree with
the repository's address: write ``{{COLAB_BADGE}}`` in the first Markdown cell and a code cell
holding only ``# {{COLAB_INSTALL}}``. Outputs are not stored (the kit commits clean notebooks).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from course.project import colab_badge, colab_install_cell  # noqa: E402


def convert(script: str, name: str) -> nbformat.NotebookNode:
    """Turn percent-format text into a notebook named ``name``."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata.update(
        {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "colab": {"provenance": []},
        }
    )
    chunks = re.split(r"^# %%(.*)$", script, flags=re.MULTILINE)
    for header, body in zip(chunks[1::2], chunks[2::2], strict=True):
        body = body.strip("\n")
        if "[markdown]" in header:
            text = "\n".join(re.sub(r"^# ?", "", line) for line in body.splitlines())
            text = text.replace("{{COLAB_BADGE}}", colab_badge(name))
            notebook.cells.append(nbformat.v4.new_markdown_cell(text))
        elif body.strip() == "# {{COLAB_INSTALL}}":
            notebook.cells.append(nbformat.v4.new_code_cell(colab_install_cell()))
        else:
            notebook.cells.append(nbformat.v4.new_code_cell(body))
    return notebook


def main() -> None:
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    notebook = convert(source.read_text(), target.name)
    nbformat.write(notebook, target)
    print(f"wrote {target} ({len(notebook.cells)} cells)")


if __name__ == "__main__":
    main()
