/* MQM annotation form: the reviewer selects words in the rendering and this
   fills the span (start/end as Unicode code points, as the server counts them,
   not the UTF-16 units the browser counts), the words and their occurrence.
   Typing the words and the occurrence by hand works without any of this.
   The subtype list shows only the chosen dimension's subtypes. */
(function () {
  "use strict";

  function codePoints(text) { return Array.from(text).length; }

  function fieldsOf(form) {
    return {
      start: form.querySelector("input[name=start]"),
      end: form.querySelector("input[name=end]"),
      quote: form.querySelector("input[name=quote]"),
      occurrence: form.querySelector("input[name=occurrence]"),
      preview: form.querySelector("[data-il-selection]"),
    };
  }

  function occurrenceAt(text, quote, index) {
    var count = 0, found = -1;
    while (true) {
      found = text.indexOf(quote, found + 1);
      if (found < 0 || found > index) return count || 1;
      count += 1;
      if (found === index) return count;
    }
  }

  function captureSelection() {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return;
    var range = selection.getRangeAt(0);
    var container = range.commonAncestorContainer;
    var box = (container.nodeType === 1 ? container : container.parentElement).closest("[data-il-annotate-text]");
    if (!box) return;
    var form = document.getElementById(box.getAttribute("data-il-annotate-text"));
    if (!form) return;
    var before = document.createRange();
    before.selectNodeContents(box);
    before.setEnd(range.startContainer, range.startOffset);
    var prefix = before.toString();
    var words = range.toString();
    if (!words) return;
    var f = fieldsOf(form);
    var start = codePoints(prefix);
    f.start.value = String(start);
    f.end.value = String(start + codePoints(words));
    f.quote.value = words;
    f.occurrence.value = String(occurrenceAt(box.textContent, words, prefix.length));
    if (f.preview) {
      f.preview.textContent = "Selected “" + (words.length > 80 ? words.slice(0, 80) + "…" : words) +
        "” (occurrence " + f.occurrence.value + ", characters " + (start + 1) + "–" + f.end.value + ").";
    }
  }

  document.addEventListener("mouseup", function (event) {
    if (event.target.closest && event.target.closest("[data-il-annotate-text]")) window.setTimeout(captureSelection, 0);
  });
  // Caret browsing (F7) selects with Shift+arrows; the selection is checked to lie in the text.
  document.addEventListener("keyup", function (event) {
    if (event.shiftKey) captureSelection();
  });

  // Typing the words by hand: the selection's offsets no longer apply.
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("form[data-il-annotate] input[name=quote], form[data-il-annotate] input[name=occurrence]")) return;
    var f = fieldsOf(input.form);
    f.start.value = "";
    f.end.value = "";
    if (f.preview) f.preview.textContent = "";
  });

  function linkSubtypes(form) {
    var dimension = form.querySelector("select[name=dimension]");
    var subtype = form.querySelector("select[name=subtype]");
    if (!dimension || !subtype) return;
    var chosen = dimension.value;
    Array.prototype.forEach.call(subtype.querySelectorAll("optgroup"), function (group) {
      var show = group.getAttribute("data-il-dimension") === chosen;
      group.hidden = !show;
      group.disabled = !show;
    });
    var selected = subtype.selectedOptions[0];
    if (selected && selected.parentElement.tagName === "OPTGROUP" && selected.parentElement.disabled) subtype.value = "";
    subtype.disabled = !chosen;
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("form[data-il-annotate] select[name=dimension]")) linkSubtypes(event.target.form);
  });

  function linkAll() { document.querySelectorAll("form[data-il-annotate]").forEach(linkSubtypes); }
  document.addEventListener("DOMContentLoaded", linkAll);
  document.addEventListener("htmx:afterSettle", linkAll);
})();
