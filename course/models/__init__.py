"""Language models the chapters build and later chapters reuse."""

from course.models.gpt import GPT
from course.models.ngram import NGramLanguageModel, reference_ngram_nats

__all__ = ["GPT", "NGramLanguageModel", "reference_ngram_nats"]
