"""Sentence pairs for translation: loading them, and splitting them without leaking sentences.

Two pair datasets are in the registry:

* ``fra-eng``: English-French sentence pairs from the Tatoeba project (CC-BY 2.0 France), in the
  two-column layout that manythings.org/anki distributes, as a fixed snapshot (76,038 lines, sorted
  from short to long). The snapshot's last line is cut short in the middle of its French side, so
  the loader drops it.
* ``toy-fra-eng``: a small English-French set generated on the spot by a tiny grammar (no
  download). It has the two things that make translation more than word lookup: French puts most
  adjectives after the noun, and articles and adjectives agree with the noun's gender (with
  ``l'`` before a vowel). It cannot show what real data shows: its vocabulary has a few dozen
  words, every sentence is short and has one correct translation, and nothing is idiomatic.

A user's own, newer ``fra.txt`` (manythings.org adds a third attribution column) reads with
:func:`read_pairs_file`; columns after the second are ignored.
"""

from __future__ import annotations

import functools
import random
import warnings
from collections.abc import Sequence
from pathlib import Path

from course.data.download import fetch
from course.data.registry import DatasetError, describe

Pair = tuple[str, str]


def read_pairs_file(path: str | Path, drop_unterminated_last_line: bool = True) -> list[Pair]:
    """Read a tab-separated file of ``source<TAB>target`` sentence pairs, one pair per line.

    Columns after the second (such as the attribution column of newer manythings.org files) are
    ignored; blank lines are skipped. A last line without a line ending is what a download cut
    short looks like, so by default it is dropped (with a warning).

    Args:
        path: the file, UTF-8 encoded.
        drop_unterminated_last_line: drop a final line that has no newline at its end.

    Returns:
        The ``(source, target)`` pairs in file order, each side stripped of surrounding spaces.

    Raises:
        DatasetError: for a line with fewer than two columns or an empty side (the message names
            the line).

    Example:
        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = os.path.join(folder, "fra.txt")
        ...     with open(path, "w", encoding="utf-8") as fh:
        ...         _ = fh.write("Go.\\tVa !\\tCC-BY 2.0 (France)\\nHi.\\tSalut !\\nI am\\tJe su")
        ...     read_pairs_file(path)
        [('Go.', 'Va !'), ('Hi.', 'Salut !')]
    """
    path = Path(path)
    with open(path, encoding="utf-8", newline="") as fh:
        lines = fh.read().split("\n")
    # split() leaves "" after a final newline; anything else there is an unterminated line.
    last = lines.pop()
    if last.strip():
        if drop_unterminated_last_line:
            warnings.warn(
                f"{path}: the last line has no line ending, as in a file cut short; it is "
                f"dropped ({last[:60]!r}). Pass drop_unterminated_last_line=False to keep it.",
                stacklevel=2,
            )
        else:
            lines.append(last)
    pairs: list[Pair] = []
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        columns = line.split("\t")
        if len(columns) < 2 or not columns[0].strip() or not columns[1].strip():
            raise DatasetError(
                f"{path}, line {number}: expected 'source<TAB>target' (further columns are "
                f"ignored), found {line[:80]!r}. Is this a tab-separated pairs file?"
            )
        pairs.append((columns[0].strip(), columns[1].strip()))
    return pairs


# ---- the generated offline set -------------------------------------------------------------

# (English, French, gender); the French noun takes "l'" when it starts with a vowel.
_NOUNS = (
    ("cat", "chat", "m"), ("dog", "chien", "m"), ("bird", "oiseau", "m"), ("book", "livre", "m"),
    ("car", "voiture", "f"), ("house", "maison", "f"), ("apple", "pomme", "f"),
    ("table", "table", "f"), ("boy", "garçon", "m"), ("girl", "fille", "f"),
    ("tree", "arbre", "m"), ("flower", "fleur", "f"),
)
# (English, French masculine, French feminine); all of these follow the noun in French.
_ADJECTIVES = (
    ("red", "rouge", "rouge"), ("black", "noir", "noire"), ("green", "vert", "verte"),
    ("white", "blanc", "blanche"), ("blue", "bleu", "bleue"), ("small", "petit", "petite"),
)
# (English third person, French third person).
_VERBS = (("sees", "voit"), ("likes", "aime"), ("wants", "veut"), ("finds", "trouve"))
# Subject pronouns with the verbs' forms: English, French, and each verb's (en, fr) form.
_PRONOUNS = (
    ("i", "je", {"sees": ("see", "vois"), "likes": ("like", "aime"),
                 "wants": ("want", "veux"), "finds": ("find", "trouve")}),
    ("you", "tu", {"sees": ("see", "vois"), "likes": ("like", "aimes"),
                   "wants": ("want", "veux"), "finds": ("find", "trouves")}),
    ("he", "il", {"sees": ("sees", "voit"), "likes": ("likes", "aime"),
                  "wants": ("wants", "veut"), "finds": ("finds", "trouve")}),
    ("she", "elle", {"sees": ("sees", "voit"), "likes": ("likes", "aime"),
                     "wants": ("wants", "veut"), "finds": ("finds", "trouve")}),
    ("we", "nous", {"sees": ("see", "voyons"), "likes": ("like", "aimons"),
                    "wants": ("want", "voulons"), "finds": ("find", "trouvons")}),
    ("they", "ils", {"sees": ("see", "voient"), "likes": ("like", "aiment"),
                     "wants": ("want", "veulent"), "finds": ("find", "trouvent")}),
)


def _noun_phrase(noun: tuple[str, str, str], adjective: tuple[str, str, str] | None) -> Pair:
    english, french, gender = noun
    article = "l'" if french[0] in "aeiouh" else ("le " if gender == "m" else "la ")
    if adjective is None:
        return f"the {english}", f"{article}{french}"
    form = adjective[1] if gender == "m" else adjective[2]
    return f"the {adjective[0]} {english}", f"{article}{french} {form}"


def _elide(subject: str, verb: str) -> str:
    return f"j'{verb}" if subject == "je" and verb[0] in "aeiouh" else f"{subject} {verb}"


@functools.cache
def toy_pairs(count: int = 4000, seed: int = 0) -> tuple[Pair, ...]:
    """The generated ``toy-fra-eng`` pairs: short English sentences and their French.

    Three patterns, lower-case, words and punctuation separated by spaces:
    ``the [adj] N verb the [adj] N .``, ``pronoun verb the [adj] N .`` and ``the [adj] N is adj .``
    Adjectives move after the noun in French and agree with its gender.

    Args:
        count: how many distinct pairs to draw (at most the size of the grammar's language).
        seed: the draw's seed; the same arguments always give the same pairs.

    Returns:
        ``count`` distinct ``(english, french)`` pairs.

    Example:
        >>> pairs = toy_pairs(200)
        >>> len(pairs), len(set(pairs))
        (200, 200)
        >>> _noun_phrase(_NOUNS[4], _ADJECTIVES[1])
        ('the black car', 'la voiture noire')
    """
    rng = random.Random(seed)
    adjectives: list[tuple[str, str, str] | None] = [None, *_ADJECTIVES]
    seen: set[Pair] = set()
    out: list[Pair] = []
    attempts = 0
    while len(out) < count:
        attempts += 1
        if attempts > 50 * count + 1000:
            raise ValueError(f"count={count} is more distinct pairs than the toy grammar makes.")
        pattern = rng.randrange(3)
        object_en, object_fr = _noun_phrase(rng.choice(_NOUNS), rng.choice(adjectives))
        if pattern == 0:
            subject_en, subject_fr = _noun_phrase(rng.choice(_NOUNS), rng.choice(adjectives))
            verb_en, verb_fr = rng.choice(_VERBS)
            pair = (f"{subject_en} {verb_en} {object_en} .",
                    f"{subject_fr} {verb_fr} {object_fr} .")
        elif pattern == 1:
            pronoun_en, pronoun_fr, forms = rng.choice(_PRONOUNS)
            verb_en, verb_fr = forms[rng.choice(_VERBS)[0]]
            pair = (f"{pronoun_en} {verb_en} {object_en} .",
                    f"{_elide(pronoun_fr, verb_fr)} {object_fr} .")
        else:
            noun = rng.choice(_NOUNS)
            adjective = rng.choice(_ADJECTIVES)
            subject_en, subject_fr = _noun_phrase(noun, None)
            form = adjective[1] if noun[2] == "m" else adjective[2]
            pair = (f"{subject_en} is {adjective[0]} .", f"{subject_fr} est {form} .")
        if pair not in seen:
            seen.add(pair)
            out.append(pair)
    return tuple(out)


def load_translation_pairs(
    name: str = "fra-eng", path: str | Path | None = None, max_pairs: int | None = None
) -> list[Pair]:
    """Load English-French sentence pairs from the registry, or from a file of your own.

    Args:
        name: a dataset with task ``"pairs"``: ``"fra-eng"`` (downloaded once, then cached;
            the snapshot's cut-short last line is dropped) or ``"toy-fra-eng"`` (generated,
            no download). Ignored when ``path`` is given.
        path: your own tab-separated file (for example a newer ``fra.txt`` from
            manythings.org/anki); columns after the second are ignored.
        max_pairs: if given, only the first ``max_pairs`` pairs (``fra-eng`` runs from short
            sentences to long ones).

    Returns:
        A list of ``(english, french)`` pairs.

    Raises:
        DatasetError: for an unknown name, a dataset that is not a pairs set, a download that
            fails, or a malformed line.

    Example:
        >>> load_translation_pairs("toy-fra-eng", max_pairs=2)
        [('he finds the apple .', 'il trouve la pomme .'), \
('he likes the green car .', 'il aime la voiture verte .')]
    """
    if max_pairs is not None and (isinstance(max_pairs, bool) or not isinstance(max_pairs, int)
                                  or max_pairs < 0):
        raise ValueError(f"max_pairs must be None or an int >= 0, got {max_pairs!r}.")
    if path is not None:
        pairs = read_pairs_file(path)
    else:
        info = describe(name)
        if info.task != "pairs":
            raise DatasetError(
                f"{name!r} is not a sentence-pairs dataset (its task is {info.task!r}). "
                "Pairs datasets: fra-eng, toy-fra-eng."
            )
        if info.kind == "builtin":
            pairs = list(toy_pairs())
        else:
            file = fetch(name, info.pairs_file)
            with warnings.catch_warnings():
                # The snapshot's last line is known to be cut short: dropping it is expected.
                warnings.simplefilter("ignore")
                pairs = read_pairs_file(file)
    return pairs if max_pairs is None else pairs[:max_pairs]


def split_pairs(
    pairs: Sequence[Pair], test_fraction: float = 0.1, seed: int = 0
) -> tuple[list[Pair], list[Pair]]:
    """Split pairs into training and test by source sentence: no source sentence is in both.

    Tatoeba gives many English sentences several French translations ("Run!" -> "Cours !",
    "Courez !"). A split by rows would put some of them in training and others in test, and the
    test would then reward remembering the English sentence. Here every distinct source sentence
    goes, with all its translations, to one side: a seeded shuffle of the distinct sources,
    the first ones to test until it holds about ``test_fraction`` of the pairs.

    Args:
        pairs: ``(source, target)`` pairs.
        test_fraction: roughly what share of the pairs goes to test, in (0, 1).
        seed: the shuffle's seed; the same arguments always give the same split.

    Returns:
        ``(train, test)``, each in the order of ``pairs``.

    Raises:
        ValueError: for a fraction outside (0, 1), or fewer than two distinct sources.

    Example:
        >>> pairs = [("Run!", "Cours !"), ("Run!", "Courez !"), ("Go.", "Va !"), ("Hi.", "Salut.")]
        >>> train, test = split_pairs(pairs, test_fraction=0.5)
        >>> sorted({s for s, _ in train} & {s for s, _ in test})
        []
        >>> len(train) + len(test)
        4
    """
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float)) \
            or not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be strictly between 0 and 1, got {test_fraction!r}.")
    counts: dict[str, int] = {}
    for source, _ in pairs:
        counts[source] = counts.get(source, 0) + 1
    if len(counts) < 2:
        raise ValueError(
            f"split_pairs needs at least two distinct source sentences, got {len(counts)}."
        )
    sources = sorted(counts)
    random.Random(seed).shuffle(sources)
    target = test_fraction * len(pairs)
    test_sources: set[str] = set()
    taken = 0
    for source in sources[:-1]:  # the last source always stays in training
        if taken >= target:
            break
        test_sources.add(source)
        taken += counts[source]
    if not test_sources:
        test_sources.add(sources[0])
    train = [pair for pair in pairs if pair[0] not in test_sources]
    test = [pair for pair in pairs if pair[0] in test_sources]
    return train, test
