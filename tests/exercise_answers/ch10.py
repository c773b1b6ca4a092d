"""Plausible wrong answers to chapter 10's exercises: each must fail its check."""

WRONG_ANSWERS = {
    "10.1": [
        # backward maximum matching: from the end of the text, the longest word that ends there
        """pieces, end = [], len(text)
while end > 0:
    for length in range(min(longest, end), 0, -1):
        piece = text[end - length:end]
        if length == 1 or piece in dictionary:
            pieces.insert(0, piece)
            end -= length
            break
return pieces""",
        # the shortest match instead of the longest
        """pieces, position = [], 0
while position < len(text):
    for length in range(1, min(longest, len(text) - position) + 1):
        piece = text[position:position + length]
        if piece in dictionary or length == min(longest, len(text) - position):
            pieces.append(piece)
            position += length
            break
return pieces""",
        # one character at a time, ignoring the dictionary
        "return list(text)",
    ],
    "10.2": [
        # three bytes for everything outside ASCII
        "return 1 if ord(character) < 0x80 else 3",
        # the boundaries off by one (0x7FF counted as three bytes)
        """code = ord(character)
if code < 0x7F:
    return 1
if code < 0x7FF:
    return 2
if code < 0xFFFF:
    return 3
return 4""",
        # no four-byte case: characters beyond the Basic Multilingual Plane counted as three
        """code = ord(character)
if code <= 0x7F:
    return 1
if code <= 0x7FF:
    return 2
return 3""",
    ],
    "10.3": [
        # counts not divided by the total: the sum of log counts
        "return float(sum(np.log(counts.get(word, 1)) for word in words))",
        # the mean log-probability per word instead of the sum
        "return float(np.mean([np.log(counts.get(word, 1) / total) for word in words]))",
        # unknown words skipped instead of counted once
        "return float(sum(np.log(counts[word] / total) for word in words if word in counts))",
    ],
}
