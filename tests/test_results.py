"""The shared results table."""

from __future__ import annotations

import math

import pytest

from course import results
from course.results import Result


@pytest.fixture(autouse=True)
def _results_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))


def test_record_adds_and_replaces_rows():
    results.record("fast", Result("bigram", "02", 100, math.log(12.0), 1.0))
    results.record("fast", Result("lstm", "05", 1000, math.log(5.0), 10.0))
    results.record("fast", Result("bigram", "02", 100, math.log(11.0), 1.0))
    rows = results.load("fast")
    assert [row.model for row in rows] == ["bigram", "lstm"]
    assert rows[0].perplexity_per_char == pytest.approx(11.0)
    assert results.load("full") == []


def test_per_character_units():
    row = Result("x", "02", 1, math.log(2.0), 0.0)
    assert row.bits_per_char == pytest.approx(1.0)


def test_rejects_a_meaningless_loss():
    with pytest.raises(ValueError, match="positive"):
        results.record("fast", Result("x", "02", 1, float("nan"), 0.0))


def test_corrupt_file_says_how_to_recover(tmp_path):
    (tmp_path / "fast.json").write_text("{not json")
    with pytest.raises(ValueError, match="Delete it"):
        results.load("fast")


def test_table_renders_as_text_and_html():
    results.record("fast", Result("bigram", "02", 1234, math.log(12.0), 1.5, tokens_per_second=99))
    table = results.table("fast")
    assert "1,234" in str(table) and "12.00" in str(table)
    assert "<td>bigram</td>" in table._repr_html_()
