# ruff: noqa: E402  (TensorFlow is imported quietly before the modules that use Keras)
"""Language models the chapters build and later chapters reuse."""

from course.environment import quiet_tensorflow

quiet_tensorflow()  # before any module here imports Keras, so TensorFlow starts quietly

from course.models.gpt import GPT
from course.models.ngram import NGramLanguageModel, best_ngram, tune_mixture
from course.models.seq2seq import Seq2SeqTransformer, SequenceLoss, seq2seq_next

__all__ = [
    "GPT", "NGramLanguageModel", "Seq2SeqTransformer", "SequenceLoss", "best_ngram",
    "seq2seq_next",
    "tune_mixture",
]
