/* The moderator's desk: keyboard shortcuts on the review queue, the review page and a
 * decision's page. An element with data-desk-key="a" is clicked when "a" is pressed, unless the
 * moderator is typing in a field or a widget marked data-desk-ignore (or holds Ctrl, Alt or
 * Meta), or a handler of the page already took the key (event.preventDefault()). On a decision's page
 * (form[data-desk-form]) the first field gets the focus, Enter in a list or on a box submits,
 * Escape cancels.
 */
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.closest) return false;
    if (target.isContentEditable) return true;
    // A widget that takes keys of its own (the captions cue editor) marks itself data-desk-ignore.
    return Boolean(
      target.closest("input, textarea, select, [contenteditable], [data-desk-ignore], .captions-editor")
    );
  }

  // On window: a handler of the page (the captions editor) runs first and may take the key.
  window.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey) return;
    var form = document.querySelector("form[data-desk-form]");
    if (form && event.key === "Escape") {
      var cancel = form.querySelector("[data-desk-cancel]");
      if (cancel) {
        event.preventDefault();
        cancel.click();
      }
      return;
    }
    // Enter in a list or on a box (the approval's "Approuver quand même") submits the page.
    if (
      form &&
      event.key === "Enter" &&
      (event.target.tagName === "SELECT" || event.target.type === "checkbox")
    ) {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    if (typing(event.target) || event.key.length !== 1) return;
    var key = event.key.toLowerCase();
    var control = document.querySelector('[data-desk-key="' + key + '"]');
    if (!control) return;
    event.preventDefault();
    control.click();
  });

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-desk-form]");
    if (!form) return;
    var first = form.querySelector(
      "fieldset select, fieldset textarea, fieldset input:not([type=hidden])"
    );
    if (first) first.focus();
  });
})();
