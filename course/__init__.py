"""Helpers for the language-model course: profiles, data, tokenizers, plots, checks and results.

A chapter starts with::

    import course
    profile = course.setup()

which silences TensorFlow's start-up logging, seeds every random number generator and picks the
fast (CPU) or full (GPU) profile. Everything else lives in topic modules: ``course.data``,
``course.text``, ``course.models``, ``course.plots``, ``course.checks``, ``course.results``.
"""

from course.environment import quiet_tensorflow
from course.profiles import Profile, get_profile, seed_everything, setup

__all__ = ["Profile", "get_profile", "quiet_tensorflow", "seed_everything", "setup"]
__version__ = "0.1.0"
