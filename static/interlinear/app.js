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
