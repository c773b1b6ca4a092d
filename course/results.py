"""The results table that the chapters build together.

Each chapter that trains a language model adds a row: the model, its number of parameters, its
validation loss and training time. Models that cut text into different tokens cannot be compared
by perplexity per token (a word is harder to guess than a character), so the table compares them
on the same validation text per **character**: the total negative log-likelihood of the validation
text divided by its number of characters, in nats. ``exp`` of it is the per-character perplexity,
and dividing by ``ln 2`` gives bits per character.

Rows are saved to ``build/results/<profile>.json`` in the checkout (``COURSE_RESULTS_DIR``
overrides the folder), so a later notebook can show what earlier ones measured.
"""

from __future__ import annotations

import html
import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from course.common import write_atomic
from course.evaluation import PerCharacterLoss
from course.project import ROOT

RESULTS_VARIABLE = "COURSE_RESULTS_DIR"


@dataclass
class Result(PerCharacterLoss):
    """One row of the results table.

    Args:
        model: a short name, unique in the table (``"char 5-gram"``).
        chapter: the chapter that trained it (``"02"``).
        parameters: number of trainable parameters (or of stored counts, for an n-gram model).
        nats_per_char: validation negative log-likelihood per character, in nats.
        train_seconds: wall time of training.
        tokens_per_second: generation speed, where measured.
        notes: anything else worth a word (tokenization, model size).
        context: what context each validation token was predicted from (see
            ``course.evaluation``); :meth:`from_evaluation` fills it in.
    """

    model: str
    chapter: str
    parameters: int
    nats_per_char: float
    train_seconds: float
    tokens_per_second: float | None = None
    notes: str = ""
    recorded_at: float = field(default_factory=time.time)
    context: str = ""

    @classmethod
    def from_evaluation(
        cls,
        model: str,
        chapter: str,
        parameters: int,
        evaluation: Any,
        train_seconds: float,
        tokens_per_second: float | None = None,
        notes: str = "",
    ) -> Result:
        """A row from a :class:`course.evaluation.Evaluation`: its nats per character and context.

        Example:
            >>> from course.evaluation import Evaluation
            >>> row = Result.from_evaluation("uniform", "02", 0, Evaluation(
            ...     2 * math.log(80), 2, 2, "none"), train_seconds=0.0)
            >>> round(row.perplexity_per_char, 6), row.context
            (80.0, 'none')
        """
        return cls(
            model=model,
            chapter=chapter,
            parameters=int(parameters),
            nats_per_char=float(evaluation.nats_per_char),
            train_seconds=float(train_seconds),
            tokens_per_second=tokens_per_second,
            notes=notes,
            context=evaluation.context,
        )


def results_path(profile: str) -> Path:
    """Where the table of one profile is stored."""
    folder = Path(os.environ.get(RESULTS_VARIABLE) or ROOT / "build" / "results")
    return folder / f"{profile}.json"


def _read_rows(path: Path, what: str) -> list[dict]:
    """The rows stored in a results file; none when it does not exist yet."""
    if not path.exists():
        return []
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(
            f"The {what} {path} is not valid JSON ({error}). Delete it and rerun the "
            "chapters to rebuild it."
        ) from error


def load(profile: str) -> list[Result]:
    """All rows recorded so far under a profile, in the order they were first added.

    Example:
        >>> isinstance(load("fast"), list)
        True
    """
    return [Result(**row) for row in _read_rows(results_path(profile), "results file")]


def record(profile: str, result: Result) -> list[Result]:
    """Add a row (replacing an earlier row with the same model name) and save the table.

    Args:
        profile: the profile name the result was measured under.
        result: the row.

    Returns:
        The whole table after the change.
    """
    if not math.isfinite(result.nats_per_char) or result.nats_per_char <= 0:
        raise ValueError(f"nats_per_char must be a positive number, got {result.nats_per_char!r}.")
    rows = load(profile)
    replaced = [result if row.model == result.model else row for row in rows]
    if not any(row.model == result.model for row in rows):
        replaced.append(result)
    path = results_path(profile)
    write_atomic(path, json.dumps([asdict(row) for row in replaced], indent=1))
    return replaced


def find(profile: str, model: str) -> Result | None:
    """The row for ``model``, or ``None`` if no chapter recorded it yet under this profile."""
    return next((row for row in load(profile) if row.model == model), None)


class ResultsTable:
    """A displayable view of rows: HTML in Jupyter, aligned text elsewhere.

    Example:
        >>> table = ResultsTable([Result("uniform", "02", 0, math.log(80), 0.0)])
        >>> print(table)  # doctest: +NORMALIZE_WHITESPACE
        model    chapter  parameters  perplexity/char  bits/char  train s  tokens/s  context
        uniform  02       0           80.00            6.322      0.0      -         -
    """

    COLUMNS = (
        "model", "chapter", "parameters", "perplexity/char", "bits/char", "train s", "tokens/s",
        "context",
    )

    def __init__(self, rows: list[Result], show_context: bool = True):
        self.rows = list(rows)
        self.show_context = show_context  # off where space is short (a slide)

    @property
    def columns(self) -> tuple[str, ...]:
        """The column names shown."""
        return self.COLUMNS if self.show_context else self.COLUMNS[:-1]

    def _cells(self) -> list[list[str]]:
        return [
            [
                row.model,
                row.chapter,
                f"{row.parameters:,}",
                f"{row.perplexity_per_char:.2f}",
                f"{row.bits_per_char:.3f}",
                f"{row.train_seconds:.1f}",
                "-" if row.tokens_per_second is None else f"{row.tokens_per_second:,.0f}",
                row.context or "-",
            ][: len(self.columns)]
            for row in self.rows
        ]

    def __str__(self) -> str:
        table = [list(self.columns), *self._cells()]
        widths = [max(len(line[i]) for line in table) for i in range(len(self.columns))]
        return "\n".join(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
            for line in table
        )

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{name}</th>" for name in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in cells) + "</tr>"
            for cells in self._cells()
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def table(profile: str) -> ResultsTable:
    """The stored table of a profile, ready to display."""
    return ResultsTable(load(profile))


# ---------------------------------------------------------------------------------------------
# Classifiers (chapter 08 on): accuracy on a labelled test set, beside the majority class.
#
# A masked language model's loss is not a next-token loss per character (it predicts 15% of the
# tokens from both sides), so an encoder gets no row in the table above. Its own table records
# what it was pretrained for: accuracy after fine-tuning on a task, with the share of the most
# common class in the same test set, the accuracy of a model that learned nothing.


@dataclass
class ClassifierResult:
    """One row of the classifier table.

    Args:
        model: a short name, unique in the table (``"encoder, MLM + NSP, 1,000 labels"``).
        chapter: the chapter that trained it.
        task: the test set, e.g. ``"sst2 dev"``.
        parameters: number of trainable parameters.
        labels: how many labelled examples it was fine-tuned on.
        accuracy: share of the test set classified correctly.
        majority: share of the test set in its most common class (the baseline).
        test_size: number of test examples.
        train_seconds: wall time of fine-tuning (pretraining not included).
        notes: anything else worth a word.
    """

    model: str
    chapter: str
    task: str
    parameters: int
    labels: int
    accuracy: float
    majority: float
    test_size: int
    train_seconds: float
    notes: str = ""
    recorded_at: float = field(default_factory=time.time)

    def __post_init__(self):
        for name in ("accuracy", "majority"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
                raise ValueError(f"{name} must be a share between 0 and 1, got {value!r}.")
        if self.test_size < 1:
            raise ValueError(f"test_size must be positive, got {self.test_size}.")

    @property
    def gain(self) -> float:
        """Accuracy above the majority-class baseline, in points of accuracy (0 to 1)."""
        return self.accuracy - self.majority


def classifier_results_path(profile: str) -> Path:
    """Where the classifier table of one profile is stored (beside the LM table)."""
    return results_path(profile).with_name(f"{profile}-classifiers.json")


def load_classifiers(profile: str) -> list[ClassifierResult]:
    """All classifier rows recorded so far under a profile.

    Example:
        >>> isinstance(load_classifiers("fast"), list)
        True
    """
    path = classifier_results_path(profile)
    return [ClassifierResult(**row) for row in _read_rows(path, "classifier results file")]


def record_classifier(profile: str, result: ClassifierResult) -> list[ClassifierResult]:
    """Add a classifier row (replacing one with the same model name and task) and save.

    Args:
        profile: the profile name the result was measured under.
        result: the row.

    Returns:
        The whole classifier table after the change.
    """
    rows = load_classifiers(profile)
    same = [row.model == result.model and row.task == result.task for row in rows]
    replaced = [result if is_same else row for row, is_same in zip(rows, same, strict=True)]
    if not any(same):
        replaced.append(result)
    path = classifier_results_path(profile)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps([asdict(row) for row in replaced], indent=1))
    temporary.replace(path)
    return replaced


class ClassifierTable(ResultsTable):
    """The classifier rows, displayable as the LM table is.

    Example:
        >>> row = ClassifierResult("encoder", "08", "sst2 dev", 1000, 100, 0.75, 0.5, 872, 3.0)
        >>> print(ClassifierTable([row]))  # doctest: +NORMALIZE_WHITESPACE
        model    chapter  task      parameters  labels  accuracy  majority class  gain    train s
        encoder  08       sst2 dev  1,000       100     0.750     0.500           +0.250  3.0
    """

    COLUMNS = (
        "model", "chapter", "task", "parameters", "labels", "accuracy", "majority class", "gain",
        "train s",
    )

    def __init__(self, rows: list[ClassifierResult]):
        super().__init__(rows, show_context=True)

    def _cells(self) -> list[list[str]]:
        return [
            [
                row.model,
                row.chapter,
                row.task,
                f"{row.parameters:,}",
                f"{row.labels:,}",
                f"{row.accuracy:.3f}",
                f"{row.majority:.3f}",
                f"{row.gain:+.3f}",
                f"{row.train_seconds:.1f}",
            ]
            for row in self.rows
        ]


def classifier_table(profile: str) -> ClassifierTable:
    """The stored classifier table of a profile, ready to display."""
    return ClassifierTable(load_classifiers(profile))
