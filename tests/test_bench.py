"""`python -m course bench --quick`: the table's shape and the generation check (never a speed)."""

import json

import pytest

from course.bench import BenchReport, run_bench
from course.data import load_text


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    return run_bench(quick=True, out=out, text=load_text("pydoc", max_chars=60_000)), out


def test_the_table_has_every_measurement(quick_report):
    report, out = quick_report
    names = {m.name for m in report.measurements}
    for name in ["float32 matmul", "ms per step", "tokens per second", "FLOPs per step",
                 "share of float32 peak", "launch to validation loss 2.0",
                 "tokens per second, key/value cache, loop compiled",
                 "tokens per second, key/value cache, Python loop",
                 "tokens per second, re-running the window",
                 "LSTM tokens per second", "GRU tokens per second"]:
        assert name in names
    assert report.value("float32 matmul") > 0 and report.value("ms per step") > 0
    saved = json.loads(out.read_text())
    assert len(saved["measurements"]) == len(report.measurements)


def test_cached_and_uncached_greedy_generation_agree(quick_report):
    report, _ = quick_report
    assert report.checks == {
        "greedy text equal, cache with the loop compiled or in Python": True,
        "greedy text equal within the context, cache or re-run": True}


def test_unknown_measurement_is_named():
    with pytest.raises(KeyError, match="No measurement called"):
        BenchReport(machine={}).value("speed")


def test_command_refuses_a_bad_step_count(capsys):
    from course.__main__ import main

    assert main(["bench", "--steps", "0"]) == 2
    assert "--steps must be at least 1" in capsys.readouterr().err
