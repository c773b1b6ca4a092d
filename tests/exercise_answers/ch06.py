"""Plausible wrong answers to chapter 06's exercises: each must fail its check."""

WRONG_ANSWERS = {
    "06.1": [
        # off by one: a query may not see its own position
        "return np.arange(n)[:, None] > np.arange(n)[None, :]",
        # the transpose: each query sees the future instead of the past
        "return np.arange(n)[:, None] <= np.arange(n)[None, :]",
        # np.tril with the diagonal left out
        "return np.tril(np.ones((n, n), dtype=bool), k=-1)",
        # no mask at all: every query sees every key
        "return np.ones((n, n), dtype=bool)",
    ],
    "06.2": [
        # the turn the other way (clockwise)
        "half = len(vector) // 2\n"
        "x, y = vector[:half], vector[half:]\n"
        "angles = position * 10000.0 ** (-2 * np.arange(half) / len(vector))\n"
        "return np.concatenate([x * np.cos(angles) + y * np.sin(angles),\n"
        "                       -x * np.sin(angles) + y * np.cos(angles)])",
        # neighbouring features paired (0 with 1, 2 with 3) instead of j with j + d/2
        "half = len(vector) // 2\n"
        "x, y = vector[0::2], vector[1::2]\n"
        "angles = position * 10000.0 ** (-2 * np.arange(half) / len(vector))\n"
        "result = np.empty_like(vector)\n"
        "result[0::2] = x * np.cos(angles) - y * np.sin(angles)\n"
        "result[1::2] = x * np.sin(angles) + y * np.cos(angles)\n"
        "return result",
        # the exponent without its factor 2: the clocks turn too fast
        "half = len(vector) // 2\n"
        "x, y = vector[:half], vector[half:]\n"
        "angles = position * 10000.0 ** (-np.arange(half) / len(vector))\n"
        "return np.concatenate([x * np.cos(angles) - y * np.sin(angles),\n"
        "                       x * np.sin(angles) + y * np.cos(angles)])",
        # every pair turned by the same angle (the position itself)
        "half = len(vector) // 2\n"
        "x, y = vector[:half], vector[half:]\n"
        "return np.concatenate([x * np.cos(position) - y * np.sin(position),\n"
        "                       x * np.sin(position) + y * np.cos(position)])",
    ],
    "06.3": [
        # sine and cosine swapped
        "angle = position / 10000 ** (2 * (feature // 2) / width)\n"
        "return math.cos(angle) if feature % 2 == 0 else math.sin(angle)",
        # the feature itself in the exponent, so a sine and its cosine get different clocks
        "angle = position / 10000 ** (feature / width)\n"
        "return math.sin(angle) if feature % 2 == 0 else math.cos(angle)",
        # the exponent not divided by the width
        "angle = position / 10000 ** (2 * (feature // 2))\n"
        "return math.sin(angle) if feature % 2 == 0 else math.cos(angle)",
    ],
}
