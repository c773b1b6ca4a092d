"""Instruction-style fine-tuning: one fixed question/answer template, a loss on the answer only.

A *chat template* is the fixed text around each turn, so that the model can tell where the
question ends and its own answer begins, and where the answer stops. Ours is the simplest::

    Question: {question}
    {context}
    Answer: {answer}

with the newline after the answer as the end of the turn (real chat models reserve special
tokens for these places). At inference the prompt stops after ``Answer:``; the model writes the
rest and generation stops at the newline.

Fine-tuning scores the model on the **answer tokens only**: the prompt is given, not something
to learn to write, and keeping its tokens out of the loss spends every gradient on answering
(the prompt, much longer than the answer, would otherwise dominate the loss).

Example:
    >>> format_prompt("Which function is defined?", "def add(a, b):")
    'Question: Which function is defined?\\ndef add(a, b):\\nAnswer:'
    >>> format_response("add")
    ' add\\n'
    >>> response_weights(prompt_length=3, response_length=2, sequence_length=6).tolist()
    [0.0, 0.0, 1.0, 1.0, 0.0, 0.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

END_OF_ANSWER = "\n"
"""The text that ends an answer (the end of the turn)."""


def format_prompt(question: str, context: str = "") -> str:
    """The prompt of one example: the question, its context line(s), and ``Answer:``.

    Args:
        question: the instruction or question.
        context: the text the question is about (may be empty).

    Returns:
        ``"Question: {question}\\n{context}\\nAnswer:"`` (without the context line when empty).

    Example:
        >>> format_prompt("What is 2 + 3?")
        'Question: What is 2 + 3?\\nAnswer:'
    """
    if not isinstance(question, str) or not question.strip():
        raise ValueError(f"question must be a non-empty str, got {question!r}.")
    if END_OF_ANSWER in question:
        raise ValueError(f"question must fit on one line (no {END_OF_ANSWER!r}), got {question!r}.")
    middle = f"{context}\n" if context else ""
    return f"Question: {question}\n{middle}Answer:"


def format_response(answer: str) -> str:
    """The response of one example: a space, the answer, and the end of the turn.

    Example:
        >>> format_response("42")
        ' 42\\n'
    """
    if not isinstance(answer, str) or END_OF_ANSWER in answer:
        raise ValueError(
            f"answer must be a str without {END_OF_ANSWER!r} (the newline ends an answer), "
            f"got {answer!r}."
        )
    return f" {answer}{END_OF_ANSWER}"


def answer_of(generated: str) -> str:
    """The answer a model wrote after ``Answer:``: up to the end of the turn, stripped.

    Example:
        >>> answer_of(" add\\nQuestion: ...")
        'add'
    """
    return generated.split(END_OF_ANSWER, 1)[0].strip()


def response_weights(prompt_length: int, response_length: int, sequence_length: int) -> np.ndarray:
    """Loss weights of one packed example, aligned with its *targets*.

    The example is ``prompt + response`` (then padding); the model reads ``ids[:-1]`` and is
    scored against ``ids[1:]``, so target ``t`` is token ``t + 1``. A target counts when that
    token belongs to the response: ``prompt_length - 1 <= t < prompt_length - 1 +
    response_length``. The first weighted target is the first response token, predicted from
    the whole prompt.

    Args:
        prompt_length: tokens of the prompt (at least 1).
        response_length: tokens of the response (its end-of-turn token included).
        sequence_length: number of targets (the model's input length).

    Returns:
        ``(sequence_length,)`` float32 weights, 1 on the response's targets, 0 elsewhere.

    Example:
        >>> response_weights(2, 3, 5).tolist()
        [0.0, 1.0, 1.0, 1.0, 0.0]
    """
    for name, value, low in [("prompt_length", prompt_length, 1),
                             ("response_length", response_length, 1),
                             ("sequence_length", sequence_length, 1)]:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}.")
    if prompt_length + response_length > sequence_length + 1:
        raise ValueError(
            f"prompt ({prompt_length}) + response ({response_length}) tokens do not fit in "
            f"{sequence_length + 1} (sequence_length + 1); shorten the example or use a longer "
            "sequence_length."
        )
    weights = np.zeros(sequence_length, np.float32)
    weights[prompt_length - 1 : prompt_length - 1 + response_length] = 1.0
    return weights


def pack_examples(
    prompts: Sequence[Sequence[int]],
    responses: Sequence[Sequence[int]],
    sequence_length: int,
    pad_id: int,
    train_on_prompt: bool = False,
    prompt_width: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inputs, targets and loss weights of prompt/response pairs, one example per row.

    Each row is ``prompt + response`` padded with ``pad_id`` to ``sequence_length + 1`` tokens,
    then split into inputs ``ids[:-1]`` and targets ``ids[1:]``. Padding after the text is
    never seen by a causal model's predictions for the real tokens. With ``prompt_width``, each
    prompt is first padded on the left to that width (:func:`left_pad`), so that every answer
    starts at the same position, as it will at inference.

    Args:
        prompts: token ids of each prompt.
        responses: token ids of each response.
        sequence_length: the model's input length.
        pad_id: the id written after the text (never scored).
        train_on_prompt: score the prompt's targets too (weights 1 on every real target): a
            comparison, not the recipe.
        prompt_width: pad each prompt on the left to this many tokens (``None``: no padding
            before the prompt).

    Returns:
        ``(inputs, targets, weights)``, each ``(examples, sequence_length)``; ids ``int32``,
        weights ``float32``.

    Example:
        >>> inputs, targets, weights = pack_examples([[5, 6]], [[7, 8]], 4, pad_id=0)
        >>> inputs.tolist(), targets.tolist(), weights.tolist()
        ([[5, 6, 7, 8]], [[6, 7, 8, 0]], [[0.0, 1.0, 1.0, 0.0]])
        >>> inputs, targets, weights = pack_examples([[5]], [[7]], 3, pad_id=0, prompt_width=2)
        >>> inputs.tolist(), targets.tolist(), weights.tolist()
        ([[0, 5, 7]], [[5, 7, 0]], [[0.0, 1.0, 0.0]])
    """
    if len(prompts) != len(responses):
        raise ValueError(f"{len(prompts)} prompts but {len(responses)} responses; pass pairs.")
    padding = [0 if prompt_width is None else prompt_width - len(p) for p in prompts]
    if prompt_width is not None:
        prompts = list(left_pad(prompts, prompt_width, pad_id))
    rows = np.full((len(prompts), sequence_length + 1), pad_id, np.int32)
    weights = np.zeros((len(prompts), sequence_length), np.float32)
    for row, (prompt, response) in enumerate(zip(prompts, responses, strict=True)):
        weights[row] = response_weights(len(prompt), len(response), sequence_length)
        if train_on_prompt:  # every real target of the prompt (not the padding before it)
            weights[row, padding[row] : len(prompt) - 1] = 1.0
        rows[row, : len(prompt) + len(response)] = [*prompt, *response]
    return rows[:, :-1], rows[:, 1:], weights


def left_pad(prompts: Sequence[Sequence[int]], width: int, pad_id: int) -> np.ndarray:
    """Prompts padded on the left to one width, so that every prompt ends at the same position.

    A batch of prompts of one length can be continued together, one new token per step, with
    a key/value cache (``course.models.gpt.cached_next``). The model must have been fine-tuned
    on prompts padded the same way (:func:`pack_examples` with ``prompt_width``).

    Args:
        prompts: token ids of each prompt.
        width: the common length; no prompt may be longer.
        pad_id: the id written before each prompt.

    Returns:
        ``(prompts, width)`` int32 ids.

    Example:
        >>> left_pad([[5, 6], [7]], 3, pad_id=0).tolist()
        [[0, 5, 6], [0, 0, 7]]
    """
    longest = max((len(prompt) for prompt in prompts), default=0)
    if not prompts or longest > width:
        raise ValueError(
            f"Pass at least one prompt, none longer than width={width}; the longest has "
            f"{longest} tokens. Raise width (and the model's sequence_length if needed)."
        )
    rows = np.full((len(prompts), width), pad_id, np.int32)
    for row, prompt in enumerate(prompts):
        rows[row, width - len(prompt):] = prompt
    return rows


def exact_match(predictions: Sequence[str], references: Sequence[str]) -> float:
    """Share of predictions equal to their reference (after stripping spaces at both ends).

    Example:
        >>> exact_match(["add", " 5", "x"], ["add", "5", "y"])
        0.6666666666666666
    """
    if len(predictions) != len(references) or not references:
        raise ValueError(
            f"Pass as many predictions as references (at least one); got {len(predictions)} "
            f"and {len(references)}."
        )
    hits = sum(p.strip() == r.strip() for p, r in zip(predictions, references, strict=True))
    return hits / len(references)
