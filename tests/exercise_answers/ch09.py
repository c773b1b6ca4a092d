"""Plausible wrong answers to chapter 09's exercises: each must fail its check."""

WRONG_ANSWERS = {
    "09.1": [
        # the ratio upside down: c / r instead of r / c
        """if hypothesis_length > reference_length:
    return 1.0
if hypothesis_length == 0:
    return 0.0
return math.exp(1 - hypothesis_length / reference_length)""",
        # long hypotheses penalised too (the penalty applied both ways)
        """if hypothesis_length == 0:
    return 0.0
return math.exp(-abs(1 - reference_length / hypothesis_length))""",
        # a plain length ratio instead of the exponential
        """if hypothesis_length > reference_length:
    return 1.0
if hypothesis_length == 0:
    return 0.0
return hypothesis_length / reference_length""",
    ],
    "09.2": [
        # true on the padding instead of the real tokens
        """return (np.asarray(source_ids) == 0)[:, None, :]""",
        # the new axis in the wrong place: (batch, source_time, 1)
        """return (np.asarray(source_ids) != 0)[:, :, None]""",
        # no axis for the queries
        """return np.asarray(source_ids) != 0""",
    ],
    "09.3": [
        # each beam's best token only (greedy inside every beam)
        """tokens = np.argmax(log_probabilities, axis=-1)
origins = np.arange(len(scores))
new_scores = scores + log_probabilities[origins, tokens]
order = np.argsort(-new_scores)[:num_beams]
return origins[order], tokens[order], new_scores[order]""",
        # the beams' scores forgotten: only the next token's log-probability ranks
        """flat = log_probabilities.ravel()
best = np.argsort(-flat, kind="stable")[:num_beams]
origins, tokens = np.divmod(best, log_probabilities.shape[-1])
return origins, tokens, scores[origins] + flat[best]""",
        # sorted the wrong way: the worst extensions
        """totals = (scores[:, None] + log_probabilities).ravel()
best = np.argsort(totals, kind="stable")[:num_beams]
origins, tokens = np.divmod(best, log_probabilities.shape[-1])
return origins, tokens, totals[best]""",
    ],
}
