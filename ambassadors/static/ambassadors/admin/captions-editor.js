/* Cue-by-cue captions editor of the testimonial review page (issue 15).
 *
 * The WebVTT text box (captions_text) stays the truth: the editor reads its cues, and each
 * change in the editor writes WebVTT back into it (pasting into the box re-reads it). Saving the
 * page validates the text as before (services.captions.captions_validate).
 *
 * Under the review player (video.moderation-player): while the video plays, Enter ends the
 * current cue at the current time (it starts where the previous cue ended) and puts the focus
 * in its text; Enter in a cue's text comes back to the "end the cue here" button. A cue's time
 * button seeks the player; each cue can be shifted (±0.1 s, ±1 s), split, merged with the next
 * one or removed. Plain script, no framework, no inline code (CSP), no style attribute.
 */
(function () {
  "use strict";

  var MIN_CUE = 0.1; // seconds: validation wants end > start

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_all, key) {
      return values[key] === undefined ? "" : String(values[key]);
    });
  }

  function round3(seconds) {
    return Math.round(seconds * 1000) / 1000;
  }

  function pad(number, width) {
    var text = String(number);
    while (text.length < width) text = "0" + text;
    return text;
  }

  // 00:00:01.250, as the WebVTT file writes it.
  function vttTime(seconds) {
    var ms = Math.round(Math.max(0, seconds) * 1000);
    var h = Math.floor(ms / 3600000);
    var m = Math.floor((ms % 3600000) / 60000);
    var s = Math.floor((ms % 60000) / 1000);
    return pad(h, 2) + ":" + pad(m, 2) + ":" + pad(s, 2) + "." + pad(ms % 1000, 3);
  }

  // 01:02.5, as a person reads it (tenths).
  function shortTime(seconds) {
    var tenths = Math.round(Math.max(0, seconds) * 10);
    var m = Math.floor(tenths / 600);
    var s = (tenths % 600) / 10;
    return pad(m, 2) + ":" + (s < 10 ? "0" : "") + s.toFixed(1);
  }

  function parseTime(stamp) {
    var parts = stamp.split(":").map(Number);
    var seconds = 0;
    for (var i = 0; i < parts.length; i++) seconds = seconds * 60 + parts[i];
    return seconds;
  }

  var TIMING = /^((?:\d{2,}:)?\d{2}:\d{2}\.\d{3})\s+-->\s+((?:\d{2,}:)?\d{2}:\d{2}\.\d{3})(.*)$/;

  // The cues of a WebVTT text: [{start, end, settings, text}] (notes and styles are not cues).
  function parseVtt(text) {
    var cues = [];
    var blocks = text.replace(/\r\n?/g, "\n").split(/\n{2,}/);
    blocks.forEach(function (block) {
      var lines = block.split("\n");
      for (var i = 0; i < lines.length; i++) {
        var match = TIMING.exec(lines[i].trim());
        if (match) {
          cues.push({
            start: parseTime(match[1]),
            end: parseTime(match[2]),
            settings: match[3].trim(),
            text: lines.slice(i + 1).join("\n").trim(),
          });
          return;
        }
      }
    });
    return cues;
  }

  function writeVtt(cues) {
    var out = ["WEBVTT", ""];
    cues.forEach(function (cue) {
      out.push(
        vttTime(cue.start) + " --> " + vttTime(cue.end) + (cue.settings ? " " + cue.settings : "")
      );
      // A blank line would end the cue early: the text keeps its line breaks, never blank ones.
      var text = cue.text.replace(/\n\s*\n/g, "\n").trim();
      if (text) out.push(text);
      out.push("");
    });
    return out.join("\n");
  }

  function button(className, visible, hidden, attributes) {
    var element = document.createElement("button");
    element.type = "button";
    element.className = "button " + className;
    element.appendChild(document.createTextNode(visible));
    if (hidden) {
      var span = document.createElement("span");
      span.className = "sr-only";
      span.textContent = " " + hidden;
      element.appendChild(span);
    }
    Object.keys(attributes || {}).forEach(function (name) {
      element.setAttribute(name, attributes[name]);
    });
    return element;
  }

  function CaptionsEditor(root) {
    this.root = root;
    this.textarea = document.getElementById(root.getAttribute("data-textarea"));
    this.labels = JSON.parse(
      document.getElementById(root.getAttribute("data-textarea") + "-labels").textContent
    );
    this.panel = root.querySelector(".captions-editor-panel");
    this.list = root.querySelector(".captions-editor-cues");
    this.empty = root.querySelector(".captions-editor-empty");
    this.status = root.querySelector(".captions-editor-status");
    this.now = root.querySelector(".captions-editor-now");
    this.markButton = root.querySelector(".captions-editor-mark");
    this.player = document.querySelector("video.moderation-player");
    this.cues = parseVtt(this.textarea.value);
    this.current = -1;
  }

  CaptionsEditor.prototype.start = function () {
    var self = this;
    this.panel.hidden = false;
    if (this.player) {
      // Under the player: the moderator watches and types in one place.
      var holder = this.player.parentNode;
      holder.insertBefore(this.panel, this.player.nextSibling);
      this.player.addEventListener("timeupdate", function () {
        self.showTime();
      });
      this.player.addEventListener("seeked", function () {
        self.showTime();
      });
    } else {
      this.markButton.disabled = true;
      this.announce(this.labels.noPlayer);
    }
    this.markButton.addEventListener("click", function () {
      self.mark();
    });
    this.textarea.addEventListener("input", function () {
      self.cues = parseVtt(self.textarea.value);
      self.render();
    });
    this.list.addEventListener("click", function (event) {
      self.onListClick(event);
    });
    this.list.addEventListener("input", function (event) {
      var index = self.indexOf(event.target);
      if (index >= 0 && event.target.classList.contains("captions-cue-text")) {
        self.cues[index].text = event.target.value;
        self.write();
      }
    });
    this.list.addEventListener("keydown", function (event) {
      // Enter in a cue's text: back to "end the cue here" (Shift+Enter: a second line).
      if (
        event.key === "Enter" &&
        !event.shiftKey &&
        event.target.classList.contains("captions-cue-text")
      ) {
        event.preventDefault();
        self.markButton.focus();
      }
    });
    document.addEventListener("keydown", function (event) {
      self.onKey(event);
    });
    this.render();
    this.showTime();
  };

  CaptionsEditor.prototype.announce = function (text) {
    // Emptied first, so the same words said twice are read twice.
    var status = this.status;
    status.textContent = "";
    window.setTimeout(function () {
      status.textContent = text;
    }, 30);
  };

  CaptionsEditor.prototype.time = function () {
    return this.player ? this.player.currentTime : 0;
  };

  CaptionsEditor.prototype.showTime = function () {
    var now = this.time();
    this.now.textContent = shortTime(now);
    var current = -1;
    this.cues.forEach(function (cue, index) {
      if (cue.start <= now && now < cue.end) current = index;
    });
    if (current !== this.current) {
      this.current = current;
      Array.prototype.forEach.call(this.list.children, function (item, index) {
        if (index === current) item.setAttribute("aria-current", "true");
        else item.removeAttribute("aria-current");
      });
    }
  };

  // Enter anywhere but in a field, a link or another button ends the current cue.
  CaptionsEditor.prototype.onKey = function (event) {
    if (event.key !== "Enter" || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey)
      return;
    if (!this.player || event.defaultPrevented) return;
    var target = event.target;
    if (target && target !== this.player && target.closest) {
      if (target.closest("input, textarea, select, button, a, [contenteditable]")) return;
    }
    event.preventDefault();
    this.mark();
  };

  // End the current cue now: it starts where the last cue before now ended (or at 0).
  CaptionsEditor.prototype.mark = function () {
    var now = round3(this.time());
    var start = 0;
    this.cues.forEach(function (cue) {
      if (cue.end <= now && cue.end > start) start = cue.end;
    });
    if (now - start < MIN_CUE) {
      this.announce(this.labels.tooEarly);
      return;
    }
    var cue = { start: start, end: now, settings: "", text: "" };
    this.cues.push(cue);
    this.sort();
    var index = this.cues.indexOf(cue);
    this.write();
    this.render();
    this.announce(
      format(this.labels.created, {
        n: index + 1,
        start: shortTime(cue.start),
        end: shortTime(cue.end),
      })
    );
    var field = this.list.children[index].querySelector(".captions-cue-text");
    field.focus();
  };

  CaptionsEditor.prototype.sort = function () {
    this.cues.sort(function (a, b) {
      return a.start - b.start || a.end - b.end;
    });
  };

  CaptionsEditor.prototype.write = function () {
    this.textarea.value = this.cues.length ? writeVtt(this.cues) : "";
  };

  CaptionsEditor.prototype.indexOf = function (element) {
    var item = element.closest ? element.closest(".captions-cue") : null;
    return item ? Array.prototype.indexOf.call(this.list.children, item) : -1;
  };

  CaptionsEditor.prototype.onListClick = function (event) {
    var control = event.target.closest("button");
    if (!control) return;
    var index = this.indexOf(control);
    if (index < 0) return;
    var cue = this.cues[index];
    var action = control.getAttribute("data-action");
    var focusAfter = action;
    if (action === "seek") {
      if (this.player) {
        this.player.currentTime = cue.start;
        this.showTime();
      }
      this.announce(format(this.labels.seeked, { time: shortTime(cue.start) }));
      return;
    }
    if (action === "shift") {
      var delta = Number(control.getAttribute("data-seconds"));
      delta = Math.max(delta, -cue.start);
      cue.start = round3(cue.start + delta);
      cue.end = round3(cue.end + delta);
      this.sort();
      index = this.cues.indexOf(cue);
      focusAfter = "shift-" + control.getAttribute("data-seconds");
      this.announce(
        format(this.labels.shifted, {
          n: index + 1,
          start: shortTime(cue.start),
          end: shortTime(cue.end),
        })
      );
    } else if (action === "split") {
      var now = this.time();
      var at =
        now > cue.start + MIN_CUE && now < cue.end - MIN_CUE ? now : (cue.start + cue.end) / 2;
      at = round3(at);
      var words = cue.text.split(/\s+/).filter(Boolean);
      var half = Math.ceil(words.length / 2);
      var second = {
        start: at,
        end: cue.end,
        settings: cue.settings,
        text: words.slice(half).join(" "),
      };
      cue.end = at;
      cue.text = words.slice(0, half).join(" ");
      this.cues.splice(index + 1, 0, second);
      this.announce(format(this.labels.splitDone, { n: index + 1 }));
    } else if (action === "merge") {
      var next = this.cues[index + 1];
      if (!next) return;
      cue.start = Math.min(cue.start, next.start);
      cue.end = Math.max(cue.end, next.end);
      cue.text = [cue.text, next.text].filter(Boolean).join(" ");
      this.cues.splice(index + 1, 1);
      this.announce(format(this.labels.merged, { n: index + 1, m: index + 2 }));
    } else if (action === "remove") {
      this.cues.splice(index, 1);
      this.announce(format(this.labels.removed, { n: index + 1 }));
      index = Math.min(index, this.cues.length - 1);
      focusAfter = "text";
    } else {
      return;
    }
    this.write();
    this.render();
    this.showTime();
    this.refocus(index, focusAfter);
  };

  // After a re-render, keep the focus on the same control of the same cue.
  CaptionsEditor.prototype.refocus = function (index, what) {
    var item = this.list.children[index];
    if (!item) {
      this.markButton.focus();
      return;
    }
    var selector =
      what.indexOf("shift-") === 0
        ? '[data-action="shift"][data-seconds="' + what.slice(6) + '"]'
        : what === "text"
          ? ".captions-cue-text"
          : '[data-action="' + what + '"]';
    var target = item.querySelector(selector) || item.querySelector(".captions-cue-text");
    target.focus();
  };

  CaptionsEditor.prototype.render = function () {
    var labels = this.labels;
    var list = this.list;
    var id = this.textarea.id;
    while (list.firstChild) list.removeChild(list.firstChild);
    this.empty.hidden = this.cues.length > 0;
    var count = this.cues.length;
    this.cues.forEach(function (cue, index) {
      var n = index + 1;
      var item = document.createElement("li");
      item.className = "captions-cue";
      var seek = button(
        "captions-cue-seek",
        shortTime(cue.start) + " → " + shortTime(cue.end),
        "(" + format(labels.seek, { n: n }) + ")",
        { "data-action": "seek" }
      );
      var field = document.createElement("textarea");
      field.className = "captions-cue-text";
      field.rows = 1;
      field.id = id + "-cue-" + n;
      field.value = cue.text;
      field.setAttribute("aria-label", format(labels.text, { n: n }));
      var tools = document.createElement("span");
      tools.className = "captions-cue-tools";
      tools.setAttribute("role", "group");
      tools.setAttribute("aria-label", format(labels.cue, { n: n }));
      var ofCue = format(labels.ofCue, { n: n });
      [
        ["-1", labels.minus1],
        ["-0.1", labels.minus01],
        ["0.1", labels.plus01],
        ["1", labels.plus1],
      ].forEach(function (shift) {
        tools.appendChild(
          button("captions-cue-shift", shift[1], format(labels.shift, { n: n }), {
            "data-action": "shift",
            "data-seconds": shift[0],
          })
        );
      });
      tools.appendChild(button("", labels.split, ofCue, { "data-action": "split" }));
      if (index < count - 1) {
        tools.appendChild(button("", labels.merge, ofCue, { "data-action": "merge" }));
      }
      tools.appendChild(button("", labels.remove, ofCue, { "data-action": "remove" }));
      item.appendChild(seek);
      item.appendChild(field);
      item.appendChild(tools);
      list.appendChild(item);
    });
    this.current = -2; // re-mark the cue being played
  };

  function init() {
    var roots = document.querySelectorAll("[data-captions-editor]");
    Array.prototype.forEach.call(roots, function (root) {
      new CaptionsEditor(root).start();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
