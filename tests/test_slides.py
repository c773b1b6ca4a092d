"""The slide decks: one per chapter, complete, built offline, and shown right in a real browser.

The browser tests build every deck into a temporary folder, serve it on 127.0.0.1 and open each
deck in headless Chromium (the system's, driven by Playwright). On every slide they check that the
slide is shown and has content, that every image loaded, that all maths was typeset by KaTeX and
no raw TeX is left, and that nothing spills out of the slide. Any request that would leave
127.0.0.1 is blocked and fails the test. A screenshot of each title slide is saved to
``build/slide-screenshots/NN.png`` (``COURSE_SLIDE_SCREENSHOTS`` chooses another folder).

Without Chromium or Playwright these tests skip, saying how to install them; with
``COURSE_REQUIRE_BROWSER=1`` (as in CI) they fail instead.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import pytest

from course import results
from course.project import NOTEBOOKS, ROOT
from course.slides import browser as slide_browser
from course.slides import build as slide_build
from course.slides import figures as slide_figures
from course.slides.deck import read_deck

DECKS = sorted((ROOT / "slides").glob("[0-9][0-9]_*.md"))
REQUIRE_BROWSER = os.environ.get("COURSE_REQUIRE_BROWSER") == "1"
SCREENSHOTS = Path(
    os.environ.get("COURSE_SLIDE_SCREENSHOTS") or ROOT / "build" / "slide-screenshots"
)


def _unavailable(reason: str) -> None:
    """Skip, or fail where the browser tests are required (CI)."""
    if REQUIRE_BROWSER:
        pytest.fail(f"COURSE_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def test_every_chapter_has_a_deck():
    decks = {path.stem for path in DECKS}
    notebooks = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    missing = [notebook.name for notebook in notebooks if notebook.stem not in decks]
    assert not missing, f"chapters without a deck (write slides/<same stem>.md): {missing}"


@pytest.mark.parametrize("path", DECKS, ids=[path.stem for path in DECKS])
def test_deck_is_complete(path):
    deck = read_deck(path)
    assert deck.slides[0].markdown.startswith("# "), "the first slide is the title: '# NN · ...'"
    assert deck.title.startswith(path.stem[:2]), f"title {deck.title!r}: start with the number"
    assert 6 <= len(deck.slides) - 1 <= 12, f"{len(deck.slides) - 1} slides after the title"
    untitled = [i for i, slide in enumerate(deck.slides) if not slide.title]
    assert not untitled, f"slides without a heading: {untitled}"
    names = [ref.name for slide in deck.slides for ref in slide.figures]
    assert names, "a deck shows at least one figure made by the build"
    unknown = set(names) - set(slide_figures.FIGURES)
    assert not unknown, f"unknown figures {unknown}; known: {sorted(slide_figures.FIGURES)}"
    text = "\n".join(slide.markdown for slide in deck.slides)
    assert "$" in text, "a deck carries the chapter's equations"
    assert "```python" in text, "a deck carries a short code excerpt"


# ---------------------------------------------------------------------------------------------
# Built and shown in Chromium


def _record_a_full_results_table() -> None:
    """A results table as long as the finished course will make it, to test that it fits."""
    models = [
        ("char n-gram (best)", "02"), ("fixed-window MLP", "03"), ("char RNN", "04"),
        ("char LSTM", "05"), ("char GRU", "05"), ("attention, 1 layer", "06"),
        ("GPT, characters", "07"), ("GPT, BPE", "07"), ("GPT, pretrained", "08"),
        ("GPT, fine-tuned", "08"), ("seq2seq", "09"), ("GPT, data parallel", "10"),
    ]
    for index, (model, chapter) in enumerate(models):
        row = results.Result(model, chapter, 10_000 * (index + 1) ** 2,
                             math.log(5.0 - index * 0.2), 12.5 * index, 1_500.0, "")
        results.record("fast", row)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("slides")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSE_RESULTS_DIR", str(tmp_path_factory.mktemp("results")))
        patch.setenv("COURSE_PROFILE", "fast")
        _record_a_full_results_table()
        try:
            slide_build.build(out)
        except RuntimeError as error:
            if "npm" in str(error):
                _unavailable(str(error))
            raise
    return out


@pytest.fixture(scope="module")
def chromium():
    problem = slide_browser.missing()
    if problem:
        _unavailable(f"the slide tests need a browser: {problem}")
    with slide_browser.launch() as browser:
        yield browser


@pytest.fixture(scope="module")
def site(built):
    with slide_browser.serve(built) as base:
        yield base


# A URL with a host in an attribute, an @import or a CSS url(): anything a page would fetch.
REMOTE = re.compile(
    r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//"""
    r"""|@import\s+(?:url\()?\s*["']?(?:https?:)?//"""
    r"""|url\(\s*["']?(?:https?:)?//""",
    re.IGNORECASE,
)


def test_built_decks_reference_nothing_remote(built):
    for remote in ('<script src="https://cdn.example/reveal.js">', "@import 'https://f.example/a';",
                   '<link href="//cdn.example/katex.css">', "src: url(http://f.example/x.woff2)"):
        assert REMOTE.search(remote), remote  # the pattern finds what a CDN link looks like
    offenders = []
    for path in [*built.glob("*.html"), *built.rglob("*.css")]:
        for match in REMOTE.finditer(path.read_text(encoding="utf-8", errors="replace")):
            offenders.append(f"{path.relative_to(built)}: {match.group(0)}")
    assert not offenders, f"remote URLs in the built decks: {offenders}"
    index = (built / "index.html").read_text(encoding="utf-8")
    for deck in DECKS:
        assert (built / f"{deck.stem}.html").exists()
        assert f'href="{deck.stem}.html"' in index, f"index.html does not list {deck.stem}"
    assert (built / "_reveal" / "reveal.js").exists()
    assert (built / "_katex" / "katex.min.js").exists()


# Runs in the page on the current slide; returns a list of problems (empty when all is well).
CHECK_SLIDE = r"""
async () => {
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  await document.fonts.ready;
  const problems = [];
  const slide = Reveal.getCurrentSlide();
  const box = document.querySelector(".reveal .slides").getBoundingClientRect();
  const style = getComputedStyle(slide);
  if (!slide.classList.contains("present") || style.display === "none"
      || style.visibility === "hidden" || Number(style.opacity) < 0.99) {
    problems.push("the slide is not shown");
  }
  if (!slide.innerText.trim() && !slide.querySelector("img")) problems.push("the slide is empty");
  for (const image of slide.querySelectorAll("img")) {
    if (!image.complete || image.naturalWidth === 0) {
      problems.push("image did not load: " + image.getAttribute("src"));
    }
  }
  for (const math of slide.querySelectorAll(".math")) {
    if (math.classList.contains("math-error") || !math.querySelector(".katex")) {
      problems.push("maths not rendered: " + (math.title || math.textContent).slice(0, 120));
    }
  }
  const prose = slide.cloneNode(true);
  prose.querySelectorAll("pre, code, .katex, aside.notes").forEach(node => node.remove());
  const raw = prose.textContent.match(/\$\$|\\\(|\\\[|\\[A-Za-z]+|\$[^$\s][^$]*\$/);
  if (raw) problems.push("raw TeX left on the slide: " + raw[0]);
  const tolerance = 1.5;
  for (const element of slide.querySelectorAll("*")) {
    if (problems.length > 8) break;  // enough to see what is wrong
    if (element.closest("aside.notes")) continue;
    // Inside a formula only its box counts: KaTeX's own struts and glyph paths overhang it.
    if (element.closest(".katex") && !element.classList.contains("katex")) continue;
    const rect = element.getBoundingClientRect();
    if (rect.width === 0 && rect.height === 0) continue;
    const classes = element.getAttribute("class");
    const name = element.tagName.toLowerCase() + (classes ? "." + classes : "");
    if (rect.left < box.left - tolerance || rect.right > box.right + tolerance
        || rect.top < box.top - tolerance || rect.bottom > box.bottom + tolerance) {
      problems.push("outside the slide: " + name + " " + JSON.stringify(
        element.textContent.trim().slice(0, 60)));
    }
    const overflow = getComputedStyle(element);
    const clips = [overflow.overflowX, overflow.overflowY].some(v => v !== "visible");
    if (clips && (element.scrollWidth > element.clientWidth + 1
                  || element.scrollHeight > element.clientHeight + 1)) {
      problems.push("content cut off or scrolled in " + name + " " + JSON.stringify(
        element.textContent.trim().slice(0, 60)));
    }
  }
  return problems;
}
"""


def _open_deck(page, url: str) -> int:
    """Open a built deck, wait until reveal.js is ready; return its number of slides."""
    page.goto(url)
    page.wait_for_selector(".reveal.ready", timeout=20_000)
    page.evaluate("Reveal.configure({transition: 'none', backgroundTransition: 'none'})")
    return page.evaluate("Reveal.getTotalSlides()")


def _slide_problems(page, index: int) -> list[str]:
    page.evaluate(f"Reveal.slide({index})")
    return page.evaluate(CHECK_SLIDE)


BROKEN_DECK = """# 99 · A deck with every mistake

---

## Maths KaTeX cannot read

$\\frac{1}{$ and $$\\sqrt{x$$

---

## A dollar sign left over: it costs $$5

---

## An image that is not there

<img src="nowhere.png" alt="missing">

---

## Far too long

""" + "\n".join(f"- line {i} of a list that never ends" for i in range(30)) + """

---

## A code line too wide

```python
x = """ + " + ".join(f"value_{i}" for i in range(40)) + """
```
"""


def test_the_checks_catch_broken_slides(tmp_path, chromium):
    """Each kind of mistake makes the per-slide check report it (so the checks can fail)."""
    from course.slides import vendor

    source = tmp_path / "99_broken.md"
    source.write_text(BROKEN_DECK, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    try:
        vendor.copy_assets(out)
    except RuntimeError as error:
        _unavailable(str(error))
    slide_build.copy_theme(out)
    slide_build.build_deck(source, out)
    expected = {
        1: "maths not rendered",
        2: "raw TeX left",
        3: "image did not load",
        4: "outside the slide",
        5: "content cut off or scrolled",
    }
    page = chromium.new_page(
        viewport={"width": slide_build.SLIDE_WIDTH, "height": slide_build.SLIDE_HEIGHT}
    )
    try:
        with slide_browser.serve(out) as base:
            assert _open_deck(page, f"{base}/99_broken.html") == 6
            assert _slide_problems(page, 0) == []
            for index, problem in expected.items():
                found = _slide_problems(page, index)
                assert any(line.startswith(problem) for line in found), (index, found)
    finally:
        page.close()


@pytest.mark.parametrize("path", DECKS, ids=[path.stem for path in DECKS])
def test_deck_renders_in_chromium(path, chromium, built, site):
    page = chromium.new_page(
        viewport={"width": slide_build.SLIDE_WIDTH, "height": slide_build.SLIDE_HEIGHT}
    )
    outside, failures, errors = [], [], []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("response", lambda r: r.status >= 400 and failures.append(f"{r.status} {r.url}"))
    page.on("requestfailed", lambda r: failures.append(f"failed {r.url}"))

    def only_local(route):
        if route.request.url.startswith(site) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    try:
        count = _open_deck(page, f"{site}/{path.stem}.html")
        assert count == len(read_deck(path).slides)
        problems = {}
        for index in range(count):
            found = _slide_problems(page, index)
            if found:
                problems[f"slide {index + 1}"] = found
            if index == 0:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / f"{path.stem[:2]}.png"))
        assert not outside, f"requests that would leave this machine: {outside}"
        assert not failures, f"failed loads: {failures}"
        assert not errors, f"errors in the page: {errors}"
        assert not problems, f"{path.name}: {problems}"
    finally:
        page.close()
