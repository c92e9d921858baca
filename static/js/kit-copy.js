// Employer kit: one-click copy of talking points and of the widget snippet.
// Buttons carry data-copy-target="<id of the element whose text is copied>", and for a talking
// point data-copy-with="<id of its sources line>": the text is copied with its source.
(() => {
  "use strict";
  const status = document.getElementById("kit-copy-status");
  const lang = document.documentElement.lang || "fr";
  const copied = lang.startsWith("en") ? "Copied" : "Copié";
  const failed = lang.startsWith("en")
    ? "Copy failed: select the text and press Ctrl+C."
    : "La copie a échoué : sélectionnez le texte puis Ctrl+C.";

  const textOf = (element) =>
    "value" in element && typeof element.value === "string" ? element.value : element.innerText.trim();

  const fallbackCopy = (text) => {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.append(area);
    area.select();
    const done = document.execCommand("copy");
    area.remove();
    return done;
  };

  const announce = (button, message) => {
    if (status) status.textContent = message;
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    button.textContent = message.length < 20 ? `${message} ✓` : label;
    window.setTimeout(() => { button.textContent = label; }, 2500);
  };

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy-target]");
    if (!button) return;
    const source = document.getElementById(button.dataset.copyTarget);
    if (!source) return;
    const extra = button.dataset.copyWith ? document.getElementById(button.dataset.copyWith) : null;
    const text = extra ? `${textOf(source)}\n\n${textOf(extra)}` : textOf(source);
    let ok = false;
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch {
      ok = fallbackCopy(text);
    }
    announce(button, ok ? copied : failed);
  });
})();
