"""Plausible wrong answers to chapter 08's exercises: each must fail its check."""

WRONG_ANSWERS = {
    "08.1": [
        # every chosen position becomes [MASK] (no random, none kept)
        """inputs = token_ids.copy()
inputs[chosen] = MASK
return inputs""",
        # the 80/10/10 split applied to every position, not only the chosen ones
        """draw = rng.random(token_ids.shape)
inputs = token_ids.copy()
inputs[draw < 0.8] = MASK
to_random = (draw >= 0.8) & (draw < 0.9)
inputs[to_random] = rng.choice(ordinary_ids, size=int(to_random.sum()))
return inputs""",
        # 80% [MASK] and the other 20% random: nothing is left as it was
        """draw = rng.random(token_ids.shape)
inputs = token_ids.copy()
inputs[chosen & (draw < 0.8)] = MASK
to_random = chosen & (draw >= 0.8)
inputs[to_random] = rng.choice(ordinary_ids, size=int(to_random.sum()))
return inputs""",
        # random replacements drawn from the whole vocabulary, special tokens included
        """draw = rng.random(token_ids.shape)
inputs = token_ids.copy()
inputs[chosen & (draw < 0.8)] = MASK
to_random = chosen & (draw >= 0.8) & (draw < 0.9)
inputs[to_random] = rng.integers(0, vocabulary_size, size=int(to_random.sum()))
return inputs""",
    ],
    "08.2": [
        # the segment switches at the first [SEP] itself: that [SEP] gets 1
        """segments, current = [], 0
for token in token_ids:
    if token == SEP:
        current = 1
    segments.append(0 if token == PAD else current)
return segments""",
        # padding continues segment B
        """segments, current = [], 0
for token in token_ids:
    segments.append(current)
    if token == SEP:
        current = 1
return segments""",
        # everything after [CLS] is segment 1
        """return [0] + [0 if token == PAD else 1 for token in token_ids[1:]]""",
    ],
    "08.3": [
        # padding counted as correct predictions
        """return float((predicted == targets).mean())""",
        # the hits over real tokens divided by every position
        """real = token_ids != PAD
return float(((predicted == targets) & real).sum() / token_ids.size)""",
        # special tokens ([CLS], [SEP]) left out as well as padding: not what was asked
        """real = (token_ids != PAD) & (token_ids != CLS) & (token_ids != SEP)
return float(((predicted == targets) & real).sum() / real.sum())""",
    ],
}
