"""Turning text into token ids: characters, words, WordPiece and byte-level BPE, then LM windows.

Each tokenizer has the keras-hub interface: ``tokenize``, ``detokenize``, ``vocabulary_size``,
``get_vocabulary``, ``id_to_token`` and ``token_to_id``.

* :class:`CharacterTokenizer` - one id per character; exact round trip.
* :class:`WordTokenizer` - one id per word or punctuation mark; unknown words become ``[UNK]``.
* :func:`train_wordpiece` - sub-words learned by keras-hub.
* :func:`learn_bpe` / :func:`train_byte_pair_tokenizer` - byte-level BPE learned here, applied by
  keras-hub; exact round trip for any text.
* :func:`language_model_datasets` - ``(input, target)`` windows for next-token prediction.
* :func:`tokens_per_character` / :func:`bpe_tokens_per_character` - how long a text becomes.
"""

from course.text.bpe import (
    BPEVocabulary,
    encode_with_merges,
    learn_bpe,
    train_byte_pair_tokenizer,
)
from course.text.characters import CharacterTokenizer
from course.text.lengths import bpe_tokens_per_character, tokens_per_character
from course.text.pretokenize import split_for_bpe
from course.text.windows import (
    language_model_datasets,
    make_windows,
    split_tokens,
    window_datasets,
)
from course.text.wordpiece import train_wordpiece
from course.text.words import WordTokenizer, oov_rate, split_words

__all__ = [
    "BPEVocabulary",
    "CharacterTokenizer",
    "WordTokenizer",
    "bpe_tokens_per_character",
    "encode_with_merges",
    "language_model_datasets",
    "learn_bpe",
    "make_windows",
    "oov_rate",
    "split_for_bpe",
    "split_tokens",
    "split_words",
    "tokens_per_character",
    "train_byte_pair_tokenizer",
    "train_wordpiece",
    "window_datasets",
]
