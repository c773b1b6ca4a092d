"""Root pytest configuration: chapter notebooks' exercise checks are also tried against the
released stubs and plausible wrong answers, in the kernel nbval runs each notebook in (see
``tests/exercise_plugin.py``; ``--no-exercise-answers`` turns that off)."""

pytest_plugins = ["tests.exercise_plugin"]
