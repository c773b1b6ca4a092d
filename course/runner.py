"""Run chapter notebooks headless: executed copies, HTML pages and a time/memory table.

``python -m course run`` executes every chapter (or the ones named: ``python -m course run 02 04``)
in a fresh kernel, saves the executed notebook to ``build/executed/`` and a rendered page to
``build/html/``, and prints the wall time and peak memory of each kernel. A reader can then see
every chapter with its plots, samples and tables without running anything.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from course.common import select_chapters, strip_ansi
from course.project import NOTEBOOKS, ROOT, chapter_notebooks


@dataclass
class RunRecord:
    """How one notebook run went."""

    notebook: str
    seconds: float
    peak_mb: float
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


class PeakMemory:
    """Samples the memory of this process's children (the kernel) in a background thread."""

    def __init__(self, interval: float = 0.1):
        self.interval = interval
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
            self.peak_bytes = max(self.peak_bytes, total)
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def select_notebooks(chapters: list[str] | None = None) -> list[Path]:
    """Chapter notebooks matching the given numbers or names (all of them when empty).

    Example:
        >>> [path.name[:2] for path in select_notebooks(["00"])]
        ['00']
    """
    return select_chapters(chapter_notebooks(), chapters, "notebook")


def run_notebook(path: Path, out: Path, cell_timeout: int = 600) -> RunRecord:
    """Execute one notebook in a fresh kernel; save the executed copy and its HTML page.

    Args:
        path: the notebook.
        out: the output folder (``executed/`` and ``html/`` are made inside it).
        cell_timeout: seconds any one cell may take.

    Returns:
        A :class:`RunRecord` with time, peak memory and the error, if any.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    from nbconvert import HTMLExporter

    notebook = nbformat.read(path, as_version=4)
    sockets = tempfile.TemporaryDirectory(prefix="course-kernel-")
    client = NotebookClient(
        notebook,
        km=kernel_manager(Path(sockets.name)),
        timeout=cell_timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    error = ""
    start = time.perf_counter()
    with sockets, PeakMemory() as memory:
        try:
            client.execute()
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
            plain = strip_ansi(str(exc))
            lines = [line for line in plain.strip().splitlines() if line.strip()]
            error = f"{type(exc).__name__}: {lines[-1] if lines else ''}"
    seconds = time.perf_counter() - start
    (out / "executed").mkdir(parents=True, exist_ok=True)
    (out / "html").mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, out / "executed" / path.name)
    html, _ = HTMLExporter().from_notebook_node(notebook)
    (out / "html" / f"{path.stem}.html").write_text(html, encoding="utf-8")
    return RunRecord(path.name, seconds, memory.peak_bytes / 2**20, error)


def kernel_manager(folder: Path) -> Any:
    """A manager for a Python kernel that talks over Unix sockets in ``folder``, not TCP.

    No port is opened on the machine, and the kernel does not warn, at every start, that it is
    "running over TCP without encryption". On Windows, which has no such sockets, it is TCP.

    Args:
        folder: a private folder for the connection file and the sockets.
    """
    from jupyter_client.manager import KernelManager

    if os.name == "nt":
        return KernelManager(kernel_name="python3")
    return KernelManager(kernel_name="python3", transport="ipc", ip=str(folder / "kernel"),
                         connection_file=str(folder / "kernel.json"))


def timing_table(records: list[RunRecord]) -> str:
    """The records as a Markdown table (the README shows one).

    Example:
        >>> print(timing_table([RunRecord("00_setup.ipynb", 12.34, 456.0)]))
        | notebook | wall time (s) | peak memory (MB) | status |
        |---|---:|---:|---|
        | 00_setup.ipynb | 12.3 | 456 | ok |
    """
    lines = ["| notebook | wall time (s) | peak memory (MB) | status |", "|---|---:|---:|---|"]
    for r in records:
        lines.append(
            f"| {r.notebook} | {r.seconds:.1f} | {r.peak_mb:.0f} | {'ok' if r.ok else r.error} |"
        )
    return "\n".join(lines)


def run(
    chapters: list[str] | None = None,
    out: Path | None = None,
    profile: str | None = None,
    cell_timeout: int = 600,
) -> list[RunRecord]:
    """Run chapters and print a table; see the module docstring.

    Args:
        chapters: chapter numbers (``["02", "04"]``); all when empty.
        out: output folder, by default ``build/`` in the checkout.
        profile: ``"fast"`` or ``"full"`` for the kernels; by default as the environment says.
        cell_timeout: seconds any one cell may take.

    Returns:
        One :class:`RunRecord` per notebook.
    """
    from tqdm.auto import tqdm

    out = Path(out or ROOT / "build")
    if profile:
        os.environ["COURSE_PROFILE"] = profile
    notebooks = select_notebooks(chapters)
    records = []
    progress = tqdm(notebooks, desc="chapters", unit="notebook")
    for path in progress:
        progress.set_postfix_str(path.name)
        record = run_notebook(path, out, cell_timeout)
        records.append(record)
        status = "ok" if record.ok else f"FAILED: {record.error}"
        progress.write(
            f"{path.name}: {record.seconds:.1f} s, {record.peak_mb:.0f} MB peak, {status}"
        )
    table = timing_table(records)
    (out / "timings.md").write_text(table + "\n")
    print(table)
    print(f"\nExecuted notebooks: {out / 'executed'}\nHTML pages: {out / 'html'}")
    return records


__all__ = ["NOTEBOOKS", "RunRecord", "run", "run_notebook", "select_notebooks", "timing_table"]
