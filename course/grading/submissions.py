"""Finding the submissions of a chapter, and the instructor's notebook they are graded against."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from course.common import select_chapters

MAX_SUBMISSION_BYTES = 100 * 2**20


@dataclass(frozen=True)
class Submission:
    """One student's submission.

    Args:
        student: the name (the file's stem, or the folder's name).
        path: the notebook, or ``None`` when none could be chosen.
        problem: why there is no notebook to grade, else ``""``.
    """

    student: str
    path: Path | None
    problem: str = ""


def find_chapter(source: Path, chapter: str) -> Path:
    """The instructor's notebook of a chapter: ``source/NN_*.ipynb``.

    Args:
        source: the folder of instructor notebooks (``notebooks/``).
        chapter: the chapter number, such as ``"05"`` or ``"5"``.

    Returns:
        The notebook's path.

    Raises:
        ValueError: when no notebook, or several, match.
    """
    number = chapter.zfill(2)
    try:
        matches = select_chapters(Path(source).glob("[0-9][0-9]_*.ipynb"), [number], "notebook")
    except ValueError as error:
        matches, found = [], str(error).split("Chapters: ", 1)[-1].rstrip(".")
    else:
        found = ", ".join(path.stem for path in matches)
    if len(matches) != 1:
        raise ValueError(
            f"Expected one notebook {number}_*.ipynb in {source}, found {len(matches)}. "
            f"Chapters there: {found}. Pass --chapter with one of them (or --source)."
        )
    return matches[0]


def find_submissions(folder: Path, chapter: str) -> list[Submission]:
    """The submissions in a folder: ``alice.ipynb`` files, or one folder per student.

    In a student's folder the notebook whose name starts with the chapter number is taken, or
    the only notebook there is. Hidden files and ``.ipynb_checkpoints`` are ignored.

    Args:
        folder: the folder of submissions.
        chapter: the chapter number, to choose among several notebooks in a student's folder.

    Returns:
        The submissions, sorted by student.

    Raises:
        ValueError: when ``folder`` is not a folder or two entries give the same student name.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(
            f"{folder} is not a folder. Pass the folder that holds one notebook (alice.ipynb) or "
            "one folder (alice/) per student."
        )
    found: dict[str, Submission] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_file() and entry.suffix == ".ipynb":
            submission = Submission(entry.stem, entry)
        elif entry.is_dir():
            notebooks = sorted(
                path for path in entry.rglob("*.ipynb")
                if not any(part.startswith(".") for part in path.relative_to(entry).parts)
            )
            chosen = [p for p in notebooks if p.name.startswith(chapter.zfill(2))] or notebooks
            if len(chosen) == 1:
                submission = Submission(entry.name, chosen[0])
            elif not chosen:
                submission = Submission(entry.name, None, "the folder holds no notebook (.ipynb)")
            else:
                names = ", ".join(p.name for p in chosen)
                submission = Submission(
                    entry.name, None,
                    f"the folder holds several notebooks ({names}); submit only chapter "
                    f"{chapter.zfill(2)}'s, named {chapter.zfill(2)}_....ipynb",
                )
        else:
            continue
        if submission.student in found:
            raise ValueError(
                f"Two submissions are named {submission.student!r} in {folder} (a file and a "
                "folder?). Rename one of them."
            )
        found[submission.student] = submission
    return list(found.values())
