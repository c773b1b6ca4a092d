"""The command line (``python -m course ...``), the notebook runner and the local slide server.

Bad arguments must end with exit code 2 and a message that says what to fix; the runner's kernel
must not open TCP ports or print the "running over TCP without encryption" warning; the slide
server must be reachable when an HTTP proxy is configured.
"""

from __future__ import annotations

import subprocess
import sys
import urllib.request

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course import runner
from course.__main__ import main
from course.project import ROOT
from course.slides.browser import serve


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["grade", "subs", "--chapter", "05", "--out", "x", "--workers", "0"],
         "--workers: '0' must be a number above 0"),
        (["grade", "subs", "--chapter", "05", "--out", "x", "--cell-timeout", "soon"],
         "--cell-timeout: 'soon' must be a number above 0"),
        (["grade", "subs", "--chapter", "05", "--out", "x", "--memory-mb", "-1"],
         "--memory-mb: '-1' must be a number 0 or more"),
        (["run", "--cell-timeout", "-5"], "--cell-timeout: '-5' must be a number above 0"),
        (["grade", "subs", "--out", "x"], "the following arguments are required: --chapter"),
        (["teach"], "invalid choice: 'teach'"),
    ],
)
def test_bad_arguments_exit_with_2_and_say_what_is_wrong(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_errors_found_after_parsing_exit_with_2(tmp_path, capsys):
    assert main(["grade", str(tmp_path / "missing"), "--chapter", "00",
                 "--out", str(tmp_path / "out"), "--no-sandbox"]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert main(["grade", str(tmp_path), "--chapter", "77", "--out", str(tmp_path / "out"),
                 "--no-sandbox"]) == 2
    assert "Expected one notebook 77_*.ipynb" in capsys.readouterr().err
    assert main(["release", str(tmp_path / "none"), "--out", str(tmp_path / "student")]) == 2
    assert "no notebooks at" in capsys.readouterr().err
    assert main(["run", "77"]) == 2
    assert "77" in capsys.readouterr().err


def test_python_dash_m_course_exits_with_the_code_of_main(tmp_path):
    process = subprocess.run(
        [sys.executable, "-m", "course", "grade", str(tmp_path), "--chapter", "00", "--out",
         str(tmp_path / "out"), "--workers", "-2"],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )
    assert process.returncode == 2
    assert "'-2' must be a number above 0" in process.stderr


def test_run_notebook_executes_saves_and_reports_errors(tmp_path, capfd):
    good = new_notebook(cells=[new_code_cell("x = 6 * 7"), new_code_cell("print(x)")])
    bad = new_notebook(cells=[new_code_cell("raise ValueError('broken on purpose')")])
    for name, notebook in (("good.ipynb", good), ("bad.ipynb", bad)):
        nbformat.write(notebook, tmp_path / name)
    record = runner.run_notebook(tmp_path / "good.ipynb", tmp_path / "build", cell_timeout=60)
    assert record.ok and record.error == "" and record.seconds > 0
    executed = nbformat.read(tmp_path / "build" / "executed" / "good.ipynb", as_version=4)
    assert executed.cells[1].outputs[0]["text"] == "42\n"
    assert (tmp_path / "build" / "html" / "good.html").is_file()
    failed = runner.run_notebook(tmp_path / "bad.ipynb", tmp_path / "build", cell_timeout=60)
    assert not failed.ok and "ValueError: broken on purpose" in failed.error
    assert "without encryption" not in capfd.readouterr().err


def test_the_local_server_is_reached_around_a_configured_proxy(monkeypatch):
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens on the discard port
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    with serve(ROOT) as base:
        assert urllib.request.urlopen(base + "/pyproject.toml", timeout=10).status == 200
