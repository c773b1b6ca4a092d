"""Root pytest configuration: chapter notebooks' exercise checks are also tried against the
released stubs and plausible wrong answers, in the kernel nbval runs each notebook in (see
``tests/exercise_plugin.py``; ``--no-exercise-answers`` turns that off); after the run, the
time each notebook took is printed (``tests/notebook_timing_plugin.py``)."""

pytest_plugins = ["tests.exercise_plugin", "tests.notebook_timing_plugin"]
