// Employer kit widget (inside a company's page, in an iframe): tell the embedding page how tall
// the content is, so the frame fits it (no fixed height, no inner scroll bar). The embedding page's
// script (kit-embed.js) listens for {type: "onprovence:widget-height", height}. The height is no
// secret: it is posted to any parent.
(() => {
  "use strict";
  if (window.parent === window) return;
  let last = 0;
  const post = () => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    window.parent.postMessage({ type: "onprovence:widget-height", height }, "*");
  };
  if ("ResizeObserver" in window) new ResizeObserver(post).observe(document.documentElement);
  window.addEventListener("load", post);
  post();
})();
