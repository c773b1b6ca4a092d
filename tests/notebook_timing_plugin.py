"""A pytest plugin that adds up the time of each notebook's cells and reports it at the end.

nbval makes every cell a test item, so pytest's ``--durations`` lists cells, not chapters. This
plugin sums setup, call and teardown of the items of each ``.ipynb`` file (kernel start-up, the
cells, and the exercise items in the same kernel) and prints one line per notebook after the
run, marking those over the 4-minute budget a chapter should keep on two CPU cores. It never
fails a test: speed depends on the machine and its load, so it is reported, not asserted.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

BUDGET_SECONDS = 240.0

_seconds: dict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    path = report.nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        _seconds[path] += report.duration


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not _seconds:
        return
    terminalreporter.section("notebook wall time (cells + kernel, this machine, this load)")
    for path, seconds in sorted(_seconds.items()):
        over = "  over the 4-minute budget" if seconds > BUDGET_SECONDS else ""
        terminalreporter.write_line(f"{path:45} {seconds:7.1f} s{over}")
    terminalreporter.write_line(f"{'all notebooks':45} {sum(_seconds.values()):7.1f} s")
