// The kit's slides: typeset the maths with KaTeX, then start reveal.js.
// Both are local copies (_katex/, _reveal/), so a deck works without a network.
function startDeck(config) {
  document.querySelectorAll(".math").forEach(function (element) {
    var tex = element.textContent;
    try {
      katex.render(tex, element, {
        displayMode: element.classList.contains("display"),
        throwOnError: true,
      });
    } catch (error) {
      // Leave the TeX in sight, marked, so that the mistake shows (and the tests catch it).
      element.classList.add("math-error");
      element.title = String(error);
      element.textContent = tex;
    }
  });
  config.plugins = [RevealNotes];
  Reveal.initialize(config);
}
