"""Plausible wrong answers to chapter 07's exercises: each must fail its check."""

WRONG_ANSWERS = {
    "07.1": [
        # the k largest kept but not renormalised
        """kept = np.zeros_like(probabilities)
keep = np.argsort(probabilities)[-k:]
kept[keep] = probabilities[keep]
return kept""",
        # the k smallest kept (argsort sorts in increasing order)
        """kept = np.zeros_like(probabilities)
keep = np.argsort(probabilities)[:k]
kept[keep] = probabilities[keep]
return kept / kept.sum()""",
        # off by one: k + 1 tokens kept
        """kept = np.zeros_like(probabilities)
keep = np.argsort(probabilities)[-k - 1:]
kept[keep] = probabilities[keep]
return kept / kept.sum()""",
        # renormalised by the total of all probabilities instead of the kept ones
        """kept = np.zeros_like(probabilities)
keep = np.argsort(probabilities)[-k:]
kept[keep] = probabilities[keep]
return kept / probabilities.sum()""",
    ],
    "07.2": [
        # a plain softmax: no mask at all
        """exponentials = np.exp(scores - scores.max(axis=-1, keepdims=True))
return exponentials / exponentials.sum(axis=-1, keepdims=True)""",
        # the mask the wrong way round: each query sees itself and the future
        """length = scores.shape[-1]
allowed = np.triu(np.ones((length, length), bool))
masked = np.where(allowed, scores, -np.inf)
exponentials = np.exp(masked - masked.max(axis=-1, keepdims=True))
return exponentials / exponentials.sum(axis=-1, keepdims=True)""",
        # strictly earlier keys only: a token may not attend to itself (the first row is empty)
        """length = scores.shape[-1]
allowed = np.tril(np.ones((length, length), bool), k=-1)
masked = np.where(allowed, scores, -1e9)
exponentials = np.exp(masked - masked.max(axis=-1, keepdims=True))
return exponentials / exponentials.sum(axis=-1, keepdims=True)""",
        # the softmax first, then the future zeroed: rows no longer sum to one
        """exponentials = np.exp(scores - scores.max(axis=-1, keepdims=True))
weights = exponentials / exponentials.sum(axis=-1, keepdims=True)
return np.tril(weights)""",
        # masked scores set to 0 instead of a very low number: the future keeps weight
        """return (lambda masked: np.exp(masked) / np.exp(masked).sum(axis=-1, keepdims=True))(
    np.tril(scores))""",
    ],
    "07.3": [
        # the cosine decays to 0 instead of a tenth of the peak
        """if step < WARMUP_STEPS:
    return PEAK_LEARNING_RATE * step / WARMUP_STEPS
s, total = step - WARMUP_STEPS, STEPS - WARMUP_STEPS
return PEAK_LEARNING_RATE * 0.5 * (1 + math.cos(math.pi * min(s, total) / total))""",
        # the cosine counted from step 0 instead of from the end of warm-up
        """if step < WARMUP_STEPS:
    return PEAK_LEARNING_RATE * step / WARMUP_STEPS
low = 0.1 * PEAK_LEARNING_RATE
return low + (PEAK_LEARNING_RATE - low) * 0.5 * (1 + math.cos(math.pi * step / STEPS))""",
        # no warm-up: the cosine from the first step
        """s, total = max(step - WARMUP_STEPS, 0), STEPS - WARMUP_STEPS
low = 0.1 * PEAK_LEARNING_RATE
return low + (PEAK_LEARNING_RATE - low) * 0.5 * (1 + math.cos(math.pi * min(s, total) / total))""",
        # warm-up from a tenth of the peak instead of from 0
        """low = 0.1 * PEAK_LEARNING_RATE
if step < WARMUP_STEPS:
    return low + (PEAK_LEARNING_RATE - low) * step / WARMUP_STEPS
s, total = step - WARMUP_STEPS, STEPS - WARMUP_STEPS
return low + (PEAK_LEARNING_RATE - low) * 0.5 * (1 + math.cos(math.pi * min(s, total) / total))""",
    ],
}
