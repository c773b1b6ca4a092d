"""Slide decks for every chapter: Markdown built into reveal.js presentations that work offline.

``python -m course slides`` builds them (see :mod:`course.slides.build`). The modules:

* :mod:`course.slides.deck`: reading a deck (``slides/NN_name.md``) and rendering its slides;
* :mod:`course.slides.figures`: the figures the decks name, made by the kit's own code;
* :mod:`course.slides.vendor`: reveal.js and KaTeX from npm, copied next to the decks;
* :mod:`course.slides.browser`: headless Chromium, for PDF handouts and the browser tests.
"""
