"""The classifier table (chapter 08 on), kept apart from the language-model table."""

from __future__ import annotations

import math

import pytest

from course import results
from course.results import ClassifierResult, Result


@pytest.fixture(autouse=True)
def _results_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))


def _row(model="encoder", accuracy=0.8, task="sst2 dev") -> ClassifierResult:
    return ClassifierResult(model, "08", task, 1_000, 100, accuracy, 0.51, 872, 2.0)


def test_classifier_rows_are_added_and_replaced_by_model_and_task():
    results.record_classifier("fast", _row())
    results.record_classifier("fast", _row("random init", 0.6))
    results.record_classifier("fast", _row(accuracy=0.7))
    results.record_classifier("fast", _row(task="offline task"))
    rows = results.load_classifiers("fast")
    assert [(row.model, row.task) for row in rows] == [
        ("encoder", "sst2 dev"), ("random init", "sst2 dev"), ("encoder", "offline task")]
    assert rows[0].accuracy == pytest.approx(0.7)
    assert rows[0].gain == pytest.approx(0.7 - 0.51)
    assert results.load_classifiers("full") == []


def test_the_language_model_table_is_untouched():
    results.record("fast", Result("bigram", "02", 100, math.log(12.0), 1.0))
    results.record_classifier("fast", _row())
    assert [row.model for row in results.load("fast")] == ["bigram"]
    assert [row.model for row in results.load_classifiers("fast")] == ["encoder"]
    assert "bigram" in str(results.table("fast"))
    text = str(results.classifier_table("fast"))
    assert "majority class" in text and "0.510" in text and "+0.290" in text
    assert "<table>" in results.classifier_table("fast")._repr_html_()


@pytest.mark.parametrize("field, value", [("accuracy", 1.5), ("majority", -0.1),
                                          ("accuracy", float("nan"))])
def test_a_share_outside_zero_to_one_is_refused(field, value):
    arguments = {"model": "x", "chapter": "08", "task": "t", "parameters": 1, "labels": 1,
                 "accuracy": 0.5, "majority": 0.5, "test_size": 10, "train_seconds": 0.0,
                 field: value}
    with pytest.raises(ValueError, match=f"{field} must be a share between 0 and 1"):
        ClassifierResult(**arguments)


def test_corrupt_classifier_file_says_how_to_recover(tmp_path):
    (tmp_path / "fast-classifiers.json").write_text("{not json")
    with pytest.raises(ValueError, match="Delete it"):
        results.load_classifiers("fast")
