"""Plausible wrong answers to chapter 12's exercises: each must fail its check."""

WRONG_ANSWERS = {
    "12.1": [
        # stops only at lines indented strictly less than the def (misses the next method)
        """lines = generated.split("\\n")
for number, line in enumerate(lines):
    if line.strip() and len(line) - len(line.lstrip(" ")) < indent:
        return "".join(text + "\\n" for text in lines[:number])
return None""",
        # a blank line also ends the body
        """lines = generated.split("\\n")
for number, line in enumerate(lines):
    if not line.strip() or len(line) - len(line.lstrip(" ")) <= indent:
        return "".join(text + "\\n" for text in lines[:number])
return None""",
        # keeps the stopping line in the body
        """lines = generated.split("\\n")
for number, line in enumerate(lines):
    if line.strip() and len(line) - len(line.lstrip(" ")) <= indent:
        return "".join(text + "\\n" for text in lines[: number + 1])
return None""",
        # an unfinished completion returned whole instead of None
        """lines = generated.split("\\n")
for number, line in enumerate(lines):
    if line.strip() and len(line) - len(line.lstrip(" ")) <= indent:
        return "".join(text + "\\n" for text in lines[:number])
return generated""",
    ],
    "12.2": [
        # not shifted: weights on the positions of the response tokens, not on their targets
        """weights = np.zeros(sequence_length, np.float32)
weights[prompt_length : prompt_length + response_length] = 1.0
return weights""",
        # the prompt is scored too
        """weights = np.zeros(sequence_length, np.float32)
weights[: prompt_length - 1 + response_length] = 1.0
return weights""",
        # the padding is scored too
        """weights = np.zeros(sequence_length, np.float32)
weights[prompt_length - 1 :] = 1.0
return weights""",
    ],
    "12.3": [
        # token-level F1: counts tagged tokens, not whole spans
        """correct = predicted = true = 0
for truth, guess in zip(true_tags, predicted_tags, strict=True):
    for a, b in zip(truth, guess, strict=True):
        in_truth, in_guess = a.endswith("-" + kind), b.endswith("-" + kind)
        correct += in_truth and in_guess
        predicted += in_guess
        true += in_truth
if not correct:
    return 0.0
precision, recall = correct / predicted, correct / true
return 2 * precision * recall / (precision + recall)""",
        # a span counts as found when its start matches (the end is ignored)
        """correct = predicted = true = 0
for truth, guess in zip(true_tags, predicted_tags, strict=True):
    true_starts = {(s[0], s[2]) for s in spans(truth) if s[2] == kind}
    guess_starts = {(s[0], s[2]) for s in spans(guess) if s[2] == kind}
    correct += len(true_starts & guess_starts)
    predicted += len(guess_starts)
    true += len(true_starts)
if not correct:
    return 0.0
precision, recall = correct / predicted, correct / true
return 2 * precision * recall / (precision + recall)""",
        # the type is ignored: any entity at the right place counts
        """correct = predicted = true = 0
for truth, guess in zip(true_tags, predicted_tags, strict=True):
    true_spans = {s[:2] for s in spans(truth) if s[2] == kind}
    guess_spans = {s[:2] for s in spans(guess)}
    correct += len(true_spans & guess_spans)
    predicted += len(guess_spans)
    true += len(true_spans)
if not correct:
    return 0.0
precision, recall = correct / predicted, correct / true
return 2 * precision * recall / (precision + recall)""",
        # accuracy over spans (correct / true) instead of F1
        """correct = true = 0
for truth, guess in zip(true_tags, predicted_tags, strict=True):
    true_spans = {s for s in spans(truth) if s[2] == kind}
    correct += len(true_spans & spans(guess))
    true += len(true_spans)
return correct / true if true else 0.0""",
    ],
}
