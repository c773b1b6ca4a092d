"""Score chapter 05's character models on the tuning slice, for choosing sizes and budgets.

Trains on the first nine tenths of chapter 05's training text and scores on its last tenth (the
tuning slice), one stream with the state carried, beside the best n-gram on the same slice. The
validation text is never read. Each argument is one run, ``CELL:WIDTH:BATCH:STEPS:PEAK_LR``::

    python tools/tune_chapter05.py LSTM:256:32:1200:8e-3 GRU:295:32:1200:4e-3 LSTM:256:32:900:8e-3
"""

from __future__ import annotations

import sys

import keras

import course
import course.data
import course.models
from course.evaluation import HeldOutText, evaluate_ngram, evaluate_recurrent
from course.layers import GRUCell, LSTMCell
from course.text import CharacterTokenizer, window_datasets
from course.training import count_parameters, fit_for_steps


def main(runs: list[str]) -> None:
    profile = course.setup()
    text = course.data.load_text("pydoc", max_chars=profile.corpus_chars)
    train_text, _ = course.data.split_text(text)  # the validation text stays unread
    tokenizer = CharacterTokenizer.fit(text)
    vocabulary = tokenizer.vocabulary_size()
    fit_text, tuning_text = course.data.split_text(train_text)
    fit_ids, tuning_ids = tokenizer.tokenize(fit_text), tokenizer.tokenize(tuning_text)
    held_out = HeldOutText.from_split(fit_ids, tuning_ids, len(tuning_text))
    ngram = course.models.best_ngram(fit_ids, vocabulary)
    print(f"best n-gram on the tuning slice: {evaluate_ngram(ngram, held_out).nats_per_char:.4f}")
    for run in runs:
        cell_name, width, batch, steps, peak = run.split(":")
        width, batch, steps, peak = int(width), int(batch), int(steps), float(peak)
        course.seed_everything(0)
        batches, windows = window_datasets(fit_ids, tuning_ids, 64, batch)
        cell = LSTMCell(width) if cell_name == "LSTM" else GRUCell(width)
        model = keras.Sequential([
            keras.Input((None,), dtype="int32"), keras.layers.Embedding(vocabulary, 32),
            keras.layers.RNN(cell, return_sequences=True), keras.layers.Dropout(0.1),
            keras.layers.Dense(vocabulary)])
        schedule = keras.optimizers.schedules.CosineDecay(peak, steps, alpha=0.05)
        model.compile(optimizer=keras.optimizers.Adam(schedule, global_clipnorm=1.0),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        trained = fit_for_steps(model, batches, windows, steps, evaluations=2)
        loss = evaluate_recurrent(model, held_out).nats_per_char
        print(f"{cell_name}({width}) batch {batch}, {steps} steps, peak {peak:g}: {loss:.4f} "
              f"nats/char on the tuning slice, {trained.seconds:.0f} s, "
              f"{count_parameters(model):,} parameters")


if __name__ == "__main__":
    main(sys.argv[1:])
