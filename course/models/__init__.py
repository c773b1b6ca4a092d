"""Language models the chapters build and later chapters reuse."""

from course.models.ngram import NGramLanguageModel

__all__ = ["NGramLanguageModel"]
