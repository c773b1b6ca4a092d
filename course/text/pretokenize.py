"""The two conventions byte-level BPE shares with keras-hub: byte symbols and pre-splitting.

**Byte symbols.** BPE works on UTF-8 bytes, and every byte is written as one printable character
(GPT-2's convention): printable bytes stand for themselves, the others (space, newline, control
bytes, ...) get the characters from code point 256 upward, so the space is ``"Ġ"`` and the newline
``"Ċ"``. Merge rules and vocabulary entries are strings of these characters.

**Pre-splitting.** Before BPE, text is cut into chunks, and merges never cross a chunk boundary:
a word with the space before it (``" the"``), a number, a run of punctuation, a run of spaces.
:func:`split_for_bpe` reproduces, in plain Python, what keras-hub's ``BytePairTokenizer`` does on
its TensorFlow path (``split_strings_for_bpe``):

1. Mark every space that comes right before a non-space character with the internal marker
   ``"६"`` (U+0966), so that it can be split from the spaces before it.
2. Split with GPT-2's pattern (contractions, letters, digits, punctuation, space runs), keeping
   both the matches and the text between them.
3. Split the last space (or marker) off the end of every piece, then drop the markers.

Two details follow TensorFlow's RE2 regular expressions rather than Python's: ``\\s`` means only
the ASCII spaces ``[\\t\\n\\f\\r ]``, and ``$`` means the very end of the text. One quirk of
keras-hub comes along: a ``"६"`` that stands alone in the input is dropped like a marker.
"""

from __future__ import annotations

from collections.abc import Sequence

import regex

NUMBER_OF_BYTES = 256


def _byte_symbols() -> list[str]:
    """The printable character that stands for each byte value, indexed by byte value."""
    printable = {
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    }
    symbols: list[str] = []
    next_code_point = NUMBER_OF_BYTES
    for byte in range(NUMBER_OF_BYTES):
        if byte in printable:
            symbols.append(chr(byte))
        else:  # space, newline, control and other invisible bytes
            symbols.append(chr(next_code_point))
            next_code_point += 1
    return symbols


#: ``BYTE_SYMBOLS[b]`` is the character written for byte value ``b`` (``BYTE_SYMBOLS[32]`` is
#: ``"Ġ"``, the space).
BYTE_SYMBOLS: tuple[str, ...] = tuple(_byte_symbols())
SYMBOL_TO_BYTE: dict[str, int] = {symbol: byte for byte, symbol in enumerate(BYTE_SYMBOLS)}

_MARKER = "\u0966"  # "६", keras-hub's marker for "this space belongs to the next word"
_SPACE = r"\t\n\f\r "  # what \s means in TensorFlow's RE2 (ASCII only)
_WIDE_SPACES = "\u00a0\u2009\u202f\u3000"  # no-break, thin, narrow no-break, ideographic

# Step 1: a space followed by a character that is not a space gets a marker in front of it.
_SPACE_BEFORE_WORD = regex.compile(f"( )([^{_SPACE}{_WIDE_SPACES}])")
# keras-hub also appends a marker after this exact sequence at the very end of the text (one
# ASCII space followed by the four wide spaces in this order); reproduced for exactness.
_SPACES_AT_END = regex.compile(f"([{_SPACE}]{_WIDE_SPACES})\\Z")
# Step 2: GPT-2's pattern, one alternative per line; the first alternative that matches wins.
_PIECE = regex.compile(
    r"'s|'t|'re|'ve|'m|'ll|'d"  # contractions: 's 't 're 've 'm 'll 'd
    f"|[{_SPACE}{_WIDE_SPACES}]+[\\n\\r\\t\\f{_MARKER}{_WIDE_SPACES}]"  # spaces up to a break
    r"| ?\p{L}+"  # letters, with an optional space in front: " the"
    r"| ?\p{N}+"  # digits, with an optional space in front: " 2024"
    f"| ?[^{_SPACE}\\p{{L}}\\p{{N}}{_WIDE_SPACES}]+"  # other symbols: " --", "!"
)
# Step 3: the last space or marker at the end of a piece.
_LAST_SPACE = regex.compile(f"[ \\t\\r\\f\\v{_MARKER}{_WIDE_SPACES}]\\Z")


def split_for_bpe(text: str) -> list[str]:
    """Pre-split text into the chunks that BPE merges stay inside, exactly as keras-hub does.

    Args:
        text: Any string.

    Returns:
        The chunks, in order. Joined together they give back ``text`` (except for a lone
        ``"६"``, see the module notes).

    Example:
        >>> split_for_bpe("Hello world, it's 2024!\\n")
        ['Hello', ' world', ',', ' it', "'s", ' 2024', '!', '\\n']
        >>> split_for_bpe("a   b")
        ['a', '  ', ' b']
    """
    return [chunk for chunk, _ in split_special_and_chunks(text, ())]


def split_special_and_chunks(text: str, special_tokens: Sequence[str]) -> list[tuple[str, bool]]:
    """Cut out special tokens, then pre-split the rest, as keras-hub's tokenizer does.

    Args:
        text: Any string.
        special_tokens: Tokens that must stay whole (keras-hub's ``unsplittable_tokens``); they
            are cut out one after the other, in this order.

    Returns:
        ``(chunk, is_special)`` pairs in text order.

    Example:
        >>> split_special_and_chunks("Hi<|end|>you", ["<|end|>"])
        [('Hi', False), ('<|end|>', True), ('you', False)]
    """
    if not isinstance(text, str):
        raise TypeError(f"Expected a str, got {type(text).__name__}: {text!r:.60}")
    marked = _SPACE_BEFORE_WORD.sub(_MARKER + r"\1\2", text)
    marked = _SPACES_AT_END.sub(r"\1" + _MARKER, marked)
    pieces = [(marked, False)] if marked else []
    for token in special_tokens:
        pieces = [
            part
            for piece, is_special in pieces
            for part in ([(piece, True)] if is_special else _cut_out(piece, token))
        ]
    chunks: list[tuple[str, bool]] = []
    for piece, is_special in pieces:
        if is_special:
            chunks.append((piece, True))
            continue
        for match in _split_keeping_delimiters(_PIECE, piece):
            for part in _split_keeping_delimiters(_LAST_SPACE, match):
                if part != _MARKER:
                    chunks.append((part, False))
    return chunks


def to_byte_symbols(chunk: str) -> list[str]:
    """Write a string as one printable symbol per UTF-8 byte.

    Args:
        chunk: Any string, usually one chunk from :func:`split_for_bpe`.

    Returns:
        One symbol per byte.

    Example:
        >>> to_byte_symbols(" hé")
        ['Ġ', 'h', 'Ã', '©']
    """
    return [BYTE_SYMBOLS[byte] for byte in chunk.encode("utf-8")]


def _cut_out(piece: str, token: str) -> list[tuple[str, bool]]:
    """Split ``piece`` at every occurrence of ``token``, marking the occurrences as special."""
    parts = []
    for index, part in enumerate(piece.split(token)):
        if index:
            parts.append((token, True))
        if part:
            parts.append((part, False))
    return parts


def _split_keeping_delimiters(pattern: regex.Pattern, text: str) -> list[str]:
    """Like TensorFlow Text's ``regex_split`` with the same keep pattern: matches and the text
    between them, in order, without empty strings."""
    parts = []
    position = 0
    for match in pattern.finditer(text):
        if match.start() > position:
            parts.append(text[position : match.start()])
        if match.end() > match.start():
            parts.append(match.group())
        position = match.end()
    if position < len(text):
        parts.append(text[position:])
    return parts
