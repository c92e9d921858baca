// Employer kit: loaded by the page that embeds the testimonials widget (the snippet from /kit/).
// Sizes each <iframe data-onprovence-widget> to the height its widget posts, from the widget's
// own origin only; the frame keeps its width attribute and never grows past 4000 px.
(() => {
  "use strict";
  const script = document.currentScript;
  const origin = script ? new URL(script.src).origin : "";
  window.addEventListener("message", (event) => {
    const data = event.data;
    if (!data || data.type !== "onprovence:widget-height") return;
    if (origin && event.origin !== origin) return;
    const height = Number(data.height);
    if (!Number.isFinite(height) || height <= 0) return;
    for (const frame of document.querySelectorAll("iframe[data-onprovence-widget]")) {
      if (frame.contentWindow === event.source) {
        frame.style.height = `${Math.min(Math.ceil(height), 4000)}px`;
        frame.setAttribute("height", String(Math.min(Math.ceil(height), 4000)));
      }
    }
  });
})();
