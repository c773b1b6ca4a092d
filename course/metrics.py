"""Translation metrics written from their definitions: corpus-level BLEU (chapter 09).

BLEU (Papineni et al., 2002) compares a system's translations with reference translations by
counting shared n-grams, over the whole test corpus at once:

    p_n  = sum over sentences of clipped n-gram matches / sum of hypothesis n-grams   (n = 1..4)
    BP   = 1 if c > r else exp(1 - r / c)        c: hypothesis length, r: reference length
    BLEU = 100 * BP * exp(mean_n log p_n)

"Clipped" (modified precision): a hypothesis n-gram counts at most as many times as it occurs in
one reference, so repeating "the the the" earns nothing. The brevity penalty stands in for the
recall that precision ignores: a hypothesis shorter than its reference is penalised. Everything is
summed over the corpus before dividing, so BLEU is not the mean of sentence scores.

The numbers equal ``sacrebleu``'s on the same tokens (``tokenize="none"``); the tests check it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Tokens = Sequence[str]


@dataclass(frozen=True)
class BLEUScore:
    """A corpus BLEU score and the counts behind it.

    Attributes:
        score: BLEU on a 0-100 scale.
        precisions: the modified n-gram precisions ``p_1 .. p_N``, each in percent.
        brevity_penalty: ``BP``, in (0, 1].
        hypothesis_length: ``c``, the hypotheses' total token count.
        reference_length: ``r``, the total length of the references chosen for the penalty.
    """

    score: float
    precisions: tuple[float, ...]
    brevity_penalty: float
    hypothesis_length: int
    reference_length: int

    def __str__(self) -> str:
        precisions = "/".join(f"{p:.1f}" for p in self.precisions)
        return (
            f"BLEU = {self.score:.2f} {precisions} (BP = {self.brevity_penalty:.3f} "
            f"hyp_len = {self.hypothesis_length} ref_len = {self.reference_length})"
        )


def ngrams(tokens: Tokens, n: int) -> Counter[tuple[str, ...]]:
    """Count the n-grams of a token sequence.

    Args:
        tokens: the tokens.
        n: the n-gram order (``n >= 1``).

    Returns:
        A ``Counter`` from n-gram (a tuple of ``n`` tokens) to its number of occurrences.

    Example:
        >>> ngrams(["the", "cat", "the", "cat"], 2)
        Counter({('the', 'cat'): 2, ('cat', 'the'): 1})
    """
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def modified_precision_counts(
    hypothesis: Tokens, references: Sequence[Tokens], n: int
) -> tuple[int, int]:
    """Clipped n-gram matches of one hypothesis, and its number of n-grams.

    Each hypothesis n-gram counts at most as often as it appears in any single reference.

    Args:
        hypothesis: the hypothesis tokens.
        references: one or more reference token sequences.
        n: the n-gram order.

    Returns:
        ``(matches, total)``.

    Example:
        >>> modified_precision_counts("the the the".split(), ["the cat".split()], 1)
        (1, 3)
    """
    counts = ngrams(hypothesis, n)
    most: Counter[tuple[str, ...]] = Counter()
    for reference in references:
        most |= ngrams(reference, n)  # element-wise maximum
    matches = sum(min(count, most[gram]) for gram, count in counts.items())
    return matches, max(len(hypothesis) - n + 1, 0)


def brevity_penalty(hypothesis_length: int, reference_length: int) -> float:
    """``1`` if the hypotheses are longer than the references, else ``exp(1 - r / c)``.

    Args:
        hypothesis_length: ``c``, total hypothesis tokens.
        reference_length: ``r``, total reference tokens.

    Returns:
        The penalty, in [0, 1] (0 for empty hypotheses).

    Example:
        >>> brevity_penalty(10, 10), round(brevity_penalty(5, 10), 4)
        (1.0, 0.3679)
    """
    if hypothesis_length > reference_length:
        return 1.0
    if hypothesis_length == 0:
        return 0.0
    return math.exp(1.0 - reference_length / hypothesis_length)


def _closest_length(hypothesis_length: int, references: Sequence[Tokens]) -> int:
    # The reference length nearest the hypothesis's; on a tie the shorter one (as sacrebleu).
    return min((abs(len(r) - hypothesis_length), len(r)) for r in references)[1]


def corpus_bleu(
    hypotheses: Sequence[str],
    references: Sequence[str | Sequence[str]],
    max_order: int = 4,
    smooth: str = "none",
    tokenize: Callable[[str], Tokens] = str.split,
) -> BLEUScore:
    """Corpus-level BLEU from its definition: clipped n-gram precisions and a brevity penalty.

    Args:
        hypotheses: the system's translations, one string per sentence.
        references: for each hypothesis, its reference string, or a list of several.
        max_order: the longest n-gram (4 in standard BLEU).
        smooth: ``"none"`` (an order with no match makes BLEU 0) or ``"exp"`` (sacrebleu's
            default: the k-th order with no match counts as ``1 / 2^k`` matches).
        tokenize: how to split a string into tokens (on whitespace by default; pass text that
            is already tokenized, words and punctuation separated by spaces).

    Returns:
        A :class:`BLEUScore`; ``.score`` is on the 0-100 scale.

    Raises:
        ValueError: if the lists differ in length or are empty, a reference list is empty,
            or ``max_order``/``smooth`` is bad.
        TypeError: if a hypothesis is not a string.

    Example:
        >>> round(corpus_bleu(["le chat est sur le tapis ."], ["le chat est sur le tapis ."]).score)
        100
        >>> result = corpus_bleu(["le chat est sur le tapis"], ["le chat est sur le tapis ."])
        >>> round(result.brevity_penalty, 4), round(result.score, 2)
        (0.8465, 84.65)
        >>> print(corpus_bleu(["the the the"], [["the cat", "a cat"]], max_order=1))
        BLEU = 33.33 33.3 (BP = 1.000 hyp_len = 3 ref_len = 2)
    """
    if len(hypotheses) != len(references):
        raise ValueError(
            f"There are {len(hypotheses)} hypotheses but {len(references)} references; give one "
            "reference (or one list of references) per hypothesis."
        )
    if not hypotheses:
        raise ValueError("corpus_bleu needs at least one hypothesis.")
    if isinstance(max_order, bool) or not isinstance(max_order, int) or max_order < 1:
        raise ValueError(f"max_order must be a positive int such as 4, got {max_order!r}.")
    if smooth not in ("none", "exp"):
        raise ValueError(f"smooth must be 'none' or 'exp', got {smooth!r}.")

    matches = [0] * max_order
    totals = [0] * max_order
    hypothesis_length = reference_length = 0
    for hypothesis, reference in zip(hypotheses, references, strict=True):
        if not isinstance(hypothesis, str):
            raise TypeError(
                f"Each hypothesis must be a string, got {type(hypothesis).__name__}: "
                f"{hypothesis!r:.60}. Join token lists with spaces first."
            )
        tokens = list(tokenize(hypothesis))
        texts = [reference] if isinstance(reference, str) else list(reference)
        if not texts:
            raise ValueError(f"The hypothesis {hypothesis!r:.60} has an empty list of references.")
        options = [list(tokenize(text)) for text in texts]
        hypothesis_length += len(tokens)
        reference_length += _closest_length(len(tokens), options)
        for n in range(1, max_order + 1):
            found, total = modified_precision_counts(tokens, options, n)
            matches[n - 1] += found
            totals[n - 1] += total

    precisions = []
    unmatched = 1
    for found, total in zip(matches, totals, strict=True):
        if total == 0:
            precisions.append(0.0)
        elif found == 0 and smooth == "exp":
            unmatched *= 2
            precisions.append(100.0 / (unmatched * total))
        else:
            precisions.append(100.0 * found / total)
    penalty = brevity_penalty(hypothesis_length, reference_length)
    if min(precisions) <= 0.0:
        score = 0.0
    else:
        score = penalty * math.exp(sum(math.log(p / 100.0) for p in precisions) / max_order)
    return BLEUScore(
        score=100.0 * score,
        precisions=tuple(precisions),
        brevity_penalty=penalty,
        hypothesis_length=hypothesis_length,
        reference_length=reference_length,
    )
