"""Turn a chapter notebook back into a percent-format script, for authors editing a chapter.

Usage: ``python tools/notebook_to_percent.py notebooks/NN_name.ipynb SCRIPT.py``

The inverse of ``percent_to_notebook.py``: the Colab badge becomes ``{{COLAB_BADGE}}`` again and the
install cell ``# {{COLAB_INSTALL}}``, so converting back regenerates them from ``course.project``.
Outputs are dropped.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from course.project import colab_badge, colab_install_cell  # noqa: E402


def convert(notebook: nbformat.NotebookNode, name: str) -> str:
    """Percent-format text for ``notebook`` (named ``name``)."""
    badge, install = colab_badge(name), colab_install_cell()
    chunks = []
    for cell in notebook.cells:
        source = cell.source
        if cell.cell_type == "markdown":
            source = source.replace(badge, "{{COLAB_BADGE}}")
            lines = ["# " + line if line else "#" for line in source.splitlines()]
            chunks.append("# %% [markdown]\n" + "\n".join(lines))
        elif source.strip() == install.strip():
            chunks.append("# %%\n# {{COLAB_INSTALL}}")
        else:
            chunks.append("# %%\n" + source)
    return "\n\n".join(chunks) + "\n"


def main() -> None:
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    target.write_text(convert(nbformat.read(source, as_version=4), source.name))
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
