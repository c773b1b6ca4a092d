"""Command line: ``python -m course run [CHAPTER ...]``; ``python -m course doctor``;
``python -m course slides [CHAPTER ...] [--pdf]``."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m course``; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m course", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="execute chapters headless; write executed copies + HTML")
    run.add_argument("chapters", nargs="*", help="chapter numbers such as 00 04 (default: all)")
    run.add_argument("--out", default=None, help="output folder (default: build/)")
    run.add_argument("--profile", choices=["fast", "full"], default=None)
    run.add_argument("--cell-timeout", type=int, default=600, help="seconds per cell")

    commands.add_parser("doctor", help="print the environment report")

    slides = commands.add_parser("slides", help="build the slide decks into offline HTML (+ PDF)")
    slides.add_argument("chapters", nargs="*", help="chapter numbers such as 02 (default: all)")
    slides.add_argument("--out", default=None, help="output folder (default: build/slides/)")
    slides.add_argument("--pdf", action="store_true", help="also print PDF handouts (Chromium)")

    args = parser.parse_args(argv)
    if args.command == "run":
        from course.runner import run as run_chapters

        try:
            records = run_chapters(args.chapters, args.out, args.profile, args.cell_timeout)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        return 0 if all(record.ok for record in records) else 1
    if args.command == "slides":
        from course.slides.build import main as build_slides

        return build_slides(args.chapters, args.out, args.pdf)
    if args.command == "doctor":
        from course.environment import environment_report

        print(environment_report())
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
