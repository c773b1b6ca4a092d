"""Plausible wrong answers to the chapters' exercises, one module per chapter (``chNN.py``).

Each module holds ``WRONG_ANSWERS = {"NN.K": [answer, ...]}``. An answer is the code that replaces
what lies between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` in the exercise's answer cell
(unindented), or a list of such strings, one per solution block. Every answer must fail the
exercise's check with a helpful message; ``tests/exercise_plugin.py`` runs them, in the kernel
that ran the notebook, whenever ``pytest`` runs a chapter notebook.
"""
