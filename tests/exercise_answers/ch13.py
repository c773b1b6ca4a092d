"""Plausible wrong answers to chapter 13's exercises: each must fail its check."""

WRONG_ANSWERS = {
    "13.1": [
        # a switch that flips at every parenthesis: nesting is lost
        """inside, state = [], False
for character in text:
    if character in "()":
        state = not state
        inside.append(False)
    else:
        inside.append(state)
return inside""",
        # the parentheses themselves counted as inside
        """depth, inside = 0, []
for character in text:
    if character == "(":
        depth += 1
    inside.append(depth > 0)
    if character == ")":
        depth = max(depth - 1, 0)
return inside""",
        # a stray ")" drives the depth below zero and is never forgotten
        """depth, inside = 0, []
for character in text:
    if character == ")":
        depth -= 1
    inside.append(depth > 0)
    if character == "(":
        depth += 1
return inside""",
    ],
    "13.2": [
        # Pearson's correlation of the values themselves, not of their ranks
        """x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
x, y = x - x.mean(), y - y.mean()
return float((x * y).sum() / np.sqrt((x * x).sum() * (y * y).sum()))""",
        # ranks without averaging ties: tied values get different ranks
        """x = np.argsort(np.argsort(a, kind="stable"), kind="stable") + 1.0
y = np.argsort(np.argsort(b, kind="stable"), kind="stable") + 1.0
x, y = x - x.mean(), y - y.mean()
return float((x * y).sum() / np.sqrt((x * x).sum() * (y * y).sum()))""",
        # argsort once gives the order of the items, not their ranks
        """x = np.argsort(np.asarray(a, dtype=float), kind="stable") + 1.0
y = np.argsort(np.asarray(b, dtype=float), kind="stable") + 1.0
x, y = x - x.mean(), y - y.mean()
return float((x * y).sum() / np.sqrt((x * x).sum() * (y * y).sum()))""",
    ],
    "13.3": [
        # windows that do not overlap: a copied run is found only where a window starts on it
        """windows = [text[i : i + width] for i in range(0, len(text) - width + 1, width)]
return sum(w in reference for w in windows) / len(windows)""",
        # divided by the number of characters, not of windows
        """known = {reference[i : i + width] for i in range(len(reference) - width + 1)}
windows = [text[i : i + width] for i in range(len(text) - width + 1)]
return sum(w in known for w in windows) / len(text)""",
        # the last window is left out (an off-by-one in the range)
        """known = {reference[i : i + width] for i in range(len(reference) - width + 1)}
windows = [text[i : i + width] for i in range(len(text) - width)]
return sum(w in known for w in windows) / len(windows)""",
    ],
}
