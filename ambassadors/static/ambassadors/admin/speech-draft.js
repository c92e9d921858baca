/* The speech model's drafts on the review page (issue 19; template admin/speech_draft.html).
 *
 * "Utiliser le brouillon" puts the draft captions (a json_script block) into the captions text
 * box and tells the cue editor (captions-editor.js re-reads the box on "input"); a hidden input
 * records it, so saving the page accepts the draft (services.speech.speech_draft_accept): the
 * captions count as reviewed only once saved. "Prendre pour la carte" puts a suggested quote
 * into the "Citation" field. Values are set as text (never as HTML). Plain script, CSP-safe.
 */
(function () {
  "use strict";

  function init() {
    var root = document.querySelector("[data-speech-draft]");
    if (!root) return;
    var status = root.querySelector("[data-speech-status]");

    function say(text) {
      if (!status) return;
      // Emptied first, so the same words said twice are read twice.
      status.textContent = "";
      window.setTimeout(function () {
        status.textContent = text;
      }, 30);
    }

    var use = root.querySelector("[data-speech-use]");
    var used = root.querySelector("[data-speech-used]");
    var source = document.getElementById("speech-draft-captions");
    var captions = document.getElementById("id_captions_text");
    if (use && used && source && captions) {
      use.hidden = false;
      use.addEventListener("click", function () {
        captions.value = JSON.parse(source.textContent);
        captions.dispatchEvent(new Event("input", { bubbles: true }));
        used.value = "1";
        say(use.getAttribute("data-done"));
      });
    }

    var quote = document.getElementById("id_quote");
    if (quote) {
      Array.prototype.forEach.call(root.querySelectorAll("[data-speech-quote]"), function (pick) {
        pick.hidden = false;
        pick.addEventListener("click", function () {
          quote.value = pick.getAttribute("data-speech-quote");
          quote.dispatchEvent(new Event("input", { bubbles: true }));
          say(pick.getAttribute("data-done"));
        });
      });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
