"""Plausible wrong answers to chapter 01's exercises: each must fail its check."""

WRONG_ANSWERS = {
    "01.1": [
        # each word counted once, whatever its count
        "pair_counts = Counter()\n"
        "for word in word_counts:\n"
        "    for pair in pairwise(word):\n"
        "        pair_counts[pair] += 1\n"
        "return min(pair_counts, key=lambda pair: (-pair_counts[pair], pair))",
        # ties go to the pair that sorts last
        "pair_counts = Counter()\n"
        "for word, count in word_counts.items():\n"
        "    for pair in pairwise(word):\n"
        "        pair_counts[pair] += count\n"
        "return max(pair_counts, key=lambda pair: (pair_counts[pair], pair))",
        # ties go to the pair seen first (Counter.most_common keeps insertion order)
        "pair_counts = Counter()\n"
        "for word, count in word_counts.items():\n"
        "    for pair in pairwise(word):\n"
        "        pair_counts[pair] += count\n"
        "return pair_counts.most_common(1)[0][0]",
    ],
    "01.2": [
        # no skip after a merge: overlapping pairs are merged twice
        "merged, i = [], 0\n"
        "while i < len(symbols):\n"
        "    if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:\n"
        "        merged.append(symbols[i] + symbols[i + 1])\n"
        "    else:\n"
        "        merged.append(symbols[i])\n"
        "    i += 1\n"
        "return merged",
        # only the first occurrence is merged
        "for i in range(len(symbols) - 1):\n"
        "    if (symbols[i], symbols[i + 1]) == pair:\n"
        "        return symbols[:i] + [symbols[i] + symbols[i + 1]] + symbols[i + 2:]\n"
        "return list(symbols)",
        # scanned from the right: 'a a a' becomes 'a aa'
        "merged, i = [], len(symbols) - 1\n"
        "while i >= 0:\n"
        "    if i > 0 and (symbols[i - 1], symbols[i]) == pair:\n"
        "        merged.insert(0, symbols[i - 1] + symbols[i])\n"
        "        i -= 2\n"
        "    else:\n"
        "        merged.insert(0, symbols[i])\n"
        "        i -= 1\n"
        "return merged",
    ],
    "01.3": [
        # ties broken by first occurrence instead of alphabetically
        "vocabulary = {token for token, _ in Counter(train_tokens).most_common(k)}\n"
        "misses = sum(token not in vocabulary for token in validation_tokens)\n"
        "return misses / len(validation_tokens)",
        # distinct validation tokens instead of every occurrence
        "ranked = sorted(Counter(train_tokens).items(), key=lambda item: (-item[1], item[0]))\n"
        "vocabulary = {token for token, _ in ranked[:k]}\n"
        "distinct = set(validation_tokens)\n"
        "return sum(token not in vocabulary for token in distinct) / len(distinct)",
        # one token too few kept
        "ranked = sorted(Counter(train_tokens).items(), key=lambda item: (-item[1], item[0]))\n"
        "vocabulary = {token for token, _ in ranked[: k - 1]}\n"
        "misses = sum(token not in vocabulary for token in validation_tokens)\n"
        "return misses / len(validation_tokens)",
    ],
}
