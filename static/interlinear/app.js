/* Interlinear page behaviour. No inline script anywhere (strict CSP): everything
   attaches here, by data attributes.

   - Ctrl/Cmd+Enter in an editor saves its form and moves to the next row's editor.
   - Editors with unsaved text are marked, and leaving the page warns.
   - "Split at cursor" sends the cursor position of its segment's editor.
   - Structural changes (split, merge, move, delete) re-render the list, so they
     ask before discarding unsaved text in other rows. */
(function () {
  "use strict";
  var advanceFrom = null;

  function editorRow(element) { return element.closest("[data-il-row]"); }

  function dirtyEditors() { return document.querySelectorAll("[data-il-editor][data-il-dirty]"); }

  document.addEventListener("input", function (event) {
    var editor = event.target.closest("[data-il-editor], [data-il-save] input[name=note]");
    if (!editor) return;
    var textarea = editor.matches("[data-il-editor]") ? editor : editor.form.querySelector("[data-il-editor]");
    if (textarea) textarea.setAttribute("data-il-dirty", "");
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    var editor = event.target.closest("[data-il-save] textarea, [data-il-save] input");
    if (!editor) return;
    event.preventDefault();
    advanceFrom = editorRow(editor) ? editorRow(editor).id : null;
    var form = editor.form;
    var primary = form.querySelector("button[type=submit]");
    form.requestSubmit(primary || undefined);
  });

  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt.closest ? event.detail.elt.closest("form") : null;
    if (form && form.hasAttribute("data-il-split")) {
      var editor = document.getElementById(form.getAttribute("data-il-split"));
      if (editor) event.detail.parameters.at = String(editor.selectionStart || 0);
    }
  });

  document.addEventListener("htmx:confirm", function (event) {
    var form = event.detail.elt;
    if (!form.hasAttribute || !form.hasAttribute("data-il-structural")) return;
    var dirty = dirtyEditors().length;
    if (!dirty) return;
    event.preventDefault();
    if (window.confirm(dirty + " segment(s) have unsaved edits that this change will discard. Continue?")) {
      event.detail.issueRequest(true);
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (!advanceFrom) return;
    var previous = document.getElementById(advanceFrom);
    var swapped = event.detail.target;
    if (swapped && swapped.id && swapped.id !== advanceFrom && previous) return;
    var row = document.getElementById(advanceFrom);
    advanceFrom = null;
    if (!row) return;
    var conflict = row.querySelector(".il-conflict-panel, .alert-danger");
    var target = conflict ? row : row.nextElementSibling;
    while (target && !target.querySelector("[data-il-editor]")) target = target.nextElementSibling;
    var next = target ? target.querySelector("[data-il-editor]") : null;
    if (next) {
      next.focus();
      next.scrollIntoView({ block: "center", behavior: "smooth" });
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (event.detail.successful && form.matches && form.matches("form[data-il-paste]")) form.reset();
  });

  window.addEventListener("beforeunload", function (event) {
    if (dirtyEditors().length) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  document.addEventListener("submit", function (event) {
    // A plain (non-htmx) form post of an editor counts as saved.
    var editor = event.target.querySelector("[data-il-editor]");
    if (editor && !window.htmx) editor.removeAttribute("data-il-dirty");
  });
})();

/* The workspace's aid panel (#il-aids): translation-memory suggestions and candidate
   agreement for the segment being worked on.

   - Focusing a row's editor (or clicking on a row) loads the panel for that segment
     through htmx, once per editor element (a row re-rendered after a save has a new
     editor, so its agreement is read again).
   - "Insert" (or Alt+1…Alt+5 while an editor has focus) puts a suggestion's text into
     that segment's editor, replacing its text as one undoable edit; nothing is saved.
   - On screens narrower than the side column (Bootstrap's xxl), the panel moves below
     the focused row. */
(function () {
  "use strict";
  var WIDE = window.matchMedia("(min-width: 1400px)");
  var panel = null, shownFor = null, timer = null;

  function rowOf(element) { return element && element.closest ? element.closest("[data-il-row]") : null; }
  function segmentIdOf(row) { return row && row.id ? row.id.replace("ws-segment-", "") : null; }

  function place(row) {
    var home = document.getElementById("il-aids-home");
    if (!home) return;
    if (WIDE.matches || !row) {
      if (panel.parentElement !== home) home.appendChild(panel);
      var slot = document.getElementById("il-aids-slot");
      if (slot) slot.remove();
      return;
    }
    var slotItem = document.getElementById("il-aids-slot");
    if (!slotItem) {
      slotItem = document.createElement("li");
      slotItem.id = "il-aids-slot";
      slotItem.className = "mb-3 il-aids-slot";
    }
    if (row.nextElementSibling !== slotItem) row.after(slotItem);
    if (panel.parentElement !== slotItem) slotItem.appendChild(panel);
  }

  function load(row, key) {
    panel = panel || document.getElementById("il-aids");
    var id = segmentIdOf(row);
    if (!panel || !id || !window.htmx) return;
    place(row);
    if (shownFor === key) return;
    shownFor = key;
    var url = panel.getAttribute("data-il-aids-url").replace("/s/0/", "/s/" + id + "/");
    clearTimeout(timer);
    timer = setTimeout(function () {  // Ctrl+Enter moves focus on quickly: load where it settles
      window.htmx.ajax("GET", url, { target: "#il-aids-content", swap: "innerHTML", indicator: ".il-aids-spinner" });
    }, 120);
  }

  document.addEventListener("focusin", function (event) {
    var editor = event.target.closest ? event.target.closest("[data-il-editor]") : null;
    if (editor && rowOf(editor)) load(rowOf(editor), editor);
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("a, button, textarea, input, select, summary, #il-aids")) return;
    var row = rowOf(event.target);
    if (row) load(row, row.querySelector("[data-il-editor]") || row);
  });

  function insert(number) {
    var body = document.querySelector("#il-aids [data-il-aids-segment]");
    if (!body) return false;
    var item = body.querySelector('[data-il-suggestion="' + number + '"] [data-il-suggestion-text]');
    var editor = document.getElementById("text-" + body.getAttribute("data-il-aids-segment"));
    if (!item || !editor) return false;
    var text = item.textContent;
    editor.focus();
    editor.select();
    // insertText keeps the change on the editor's undo stack (Ctrl+Z gives the old text back)
    // and fires "input", which marks the editor unsaved; setting the value is the fallback.
    if (!(document.execCommand && document.execCommand("insertText", false, text)) || editor.value !== text) {
      editor.value = text;
      editor.dispatchEvent(new Event("input", { bubbles: true }));
    }
    editor.setSelectionRange(text.length, text.length);
    return true;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-il-insert]");
    if (button && insert(button.getAttribute("data-il-insert"))) event.preventDefault();
  });

  document.addEventListener("keydown", function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey) return;
    var match = /^Digit([1-5])$/.exec(event.code || "");
    if (!match || !event.target.closest || !event.target.closest("[data-il-editor]")) return;
    var body = document.querySelector("#il-aids [data-il-aids-segment]");
    if (!body || body.getAttribute("data-il-aids-segment") !== segmentIdOf(rowOf(event.target))) return;
    if (insert(match[1])) event.preventDefault();
  });

  WIDE.addEventListener("change", function () {
    if (!panel) return;
    var body = document.querySelector("#il-aids [data-il-aids-segment]");
    place(body ? document.getElementById("ws-segment-" + body.getAttribute("data-il-aids-segment")) : null);
  });
})();

/* Forms marked data-il-confirm ask before they are sent (e.g. removing an imported memory file). */
document.addEventListener("submit", function (event) {
  "use strict";
  var form = event.target;
  if (form.hasAttribute && form.hasAttribute("data-il-confirm") && !window.confirm(form.getAttribute("data-il-confirm"))) {
    event.preventDefault();
  }
});

// A form fetched into the page on request (e.g. a finding's dismiss form) puts the cursor
// in its first field. Not the autofocus attribute: the stored-XSS test treats any
// autofocus as injected, since autofocus+onfocus is a classic payload.
document.body.addEventListener("htmx:afterSwap", (event) => {
  const field = event.detail.target.querySelector("[data-il-autofocus]");
  if (field) field.focus();
});
