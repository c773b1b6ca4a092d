"""Profiles: how big the corpora, models and training runs are on this machine.

Every notebook runs in two sizes. The **fast** profile is the default on a machine without a GPU:
small enough that a chapter runs top to bottom in a few minutes on two CPU cores. The **full**
profile is the default where a GPU is present and trains long enough for better results. Set the
environment variable ``COURSE_PROFILE`` to ``fast`` or ``full`` to choose by hand.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TypeVar

from course.environment import gpu_names, quiet_tensorflow

PROFILE_VARIABLE = "COURSE_PROFILE"
PROFILE_NAMES = ("fast", "full")
T = TypeVar("T")


@dataclass(frozen=True)
class Profile:
    """The size settings shared by all chapters.

    Args:
        name: ``"fast"`` or ``"full"``.
        corpus_chars: how many characters of the default corpus the chapters train on.
        seed: the seed :func:`setup` uses.

    Example:
        >>> profile = Profile("fast", corpus_chars=200_000)
        >>> profile.pick(fast=300, full=3_000)
        300
    """

    name: str
    corpus_chars: int
    seed: int = 0

    def pick(self, *, fast: T, full: T) -> T:
        """Choose a chapter's own setting by profile: ``profile.pick(fast=300, full=3000)``.

        Args:
            fast: the value for the fast profile.
            full: the value for the full profile.

        Returns:
            ``fast`` or ``full``, whichever matches this profile.
        """
        return fast if self.name == "fast" else full


PROFILES = {
    "fast": Profile("fast", corpus_chars=200_000),
    "full": Profile("full", corpus_chars=2_000_000),
}


def get_profile(name: str | None = None) -> Profile:
    """Return the profile to use: ``name``, else ``$COURSE_PROFILE``, else by hardware.

    Args:
        name: ``"fast"`` or ``"full"``; ``None`` to decide from the environment.

    Returns:
        The chosen :class:`Profile`.

    Raises:
        ValueError: for a name that is not a profile.

    Example:
        >>> get_profile("fast").name
        'fast'
    """
    chosen = name or os.environ.get(PROFILE_VARIABLE, "").strip().lower() or None
    if chosen is None:
        chosen = "full" if gpu_names() else "fast"
    if chosen not in PROFILES:
        source = "argument" if name else f"environment variable {PROFILE_VARIABLE}"
        raise ValueError(
            f"Unknown profile {chosen!r} (from the {source}). Valid profiles: "
            f"{', '.join(PROFILE_NAMES)}. For example: {PROFILE_VARIABLE}=fast jupyter lab"
        )
    return PROFILES[chosen]


def seed_everything(seed: int = 0) -> None:
    """Seed Python's ``random``, NumPy and Keras (TensorFlow) in one call.

    The same seed on the same machine then gives the same weights, batches and losses.

    Args:
        seed: any non-negative integer.

    Example:
        >>> import numpy as np
        >>> seed_everything(1); a = np.random.rand()
        >>> seed_everything(1); b = np.random.rand()
        >>> a == b
        True
    """
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"The seed must be a non-negative integer, got {seed!r}.")
    quiet_tensorflow()
    import keras

    keras.utils.set_random_seed(seed)  # Python's random, NumPy's global generator, TensorFlow


def setup(profile: str | None = None, seed: int | None = None, verbose: bool = True) -> Profile:
    """Start a chapter: quiet TensorFlow, choose the profile, seed everything.

    Args:
        profile: force ``"fast"`` or ``"full"``; by default see :func:`get_profile`.
        seed: the seed; by default the profile's.
        verbose: print one line saying what was chosen.

    Returns:
        The chosen :class:`Profile`.

    Example:
        >>> setup("fast", verbose=False).name
        'fast'
    """
    quiet_tensorflow()
    chosen = get_profile(profile)
    seed_everything(chosen.seed if seed is None else seed)
    if verbose:
        where = "GPU" if gpu_names() else "CPU"
        used = chosen.seed if seed is None else seed
        print(
            f"course: profile '{chosen.name}' on {where} "
            f"(set {PROFILE_VARIABLE}=fast|full to change), seed {used}"
        )
    return chosen
