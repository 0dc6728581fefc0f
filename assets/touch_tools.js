// On a touch screen a chart's tools (zoom, pan, download) showed on the first tap and covered titles
// and legends. There they hide behind a small "⋯" button in the chart's corner (assets/app.css).
(function () {
  if (!window.matchMedia || !window.matchMedia("(hover: none) and (pointer: coarse)").matches) { return; }
  function equip(plot) {
    if (plot.querySelector(":scope > .tools-toggle")) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "tools-toggle btn btn-sm btn-outline-secondary";
    button.textContent = "⋯";
    button.setAttribute("aria-label", "Chart tools");
    button.addEventListener("click", function (event) {
      event.stopPropagation();
      plot.classList.toggle("show-tools");
    });
    plot.appendChild(button);
  }
  new MutationObserver(function () {
    document.querySelectorAll(".js-plotly-plot").forEach(equip);
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
