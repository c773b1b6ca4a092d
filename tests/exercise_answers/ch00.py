"""Plausible wrong answers to chapter 00's exercises: each must fail its check."""

WRONG_ANSWERS = {
    "00.1": [
        # lines counted as newline characters: a last line without one is missed
        "return len(text), text.count('\\n'), len(set(text))",
        # lines as the pieces of split('\\n'): a final newline adds an empty line
        "return len(text), len(text.split('\\n')), len(set(text))",
        # empty lines left out
        "return len(text), len([line for line in text.splitlines() if line]), len(set(text))",
        # distinct characters counted without case
        "return len(text), len(text.splitlines()), len(set(text.lower()))",
    ],
    "00.2": [
        # case kept: "The" and "the" are counted apart
        "return Counter(re.findall(r'[A-Za-z]+', text)).most_common(n)",
        # words split at spaces only: punctuation sticks to them
        "return Counter(text.lower().split()).most_common(n)",
    ],
    "00.3": [
        # distinct unseen characters over distinct validation characters
        "seen = set(train_text)\n"
        "return len(set(validation_text) - seen) / len(set(validation_text))",
        # divided by the length of the training text
        "seen = set(train_text)\n"
        "return sum(ch not in seen for ch in validation_text) / len(train_text)",
    ],
    "00.4": [
        # every distinct character equally likely
        "return ''.join(rng.choice(list(counts), size=n))",
        # the global NumPy generator instead of rng: the same seed gives different text
        "characters = list(counts)\n"
        "weights = np.array([counts[ch] for ch in characters], dtype=float)\n"
        "return ''.join(np.random.choice(characters, size=n, p=weights / weights.sum()))",
        # always the most common character
        "return max(counts, key=counts.get) * n",
    ],
}
