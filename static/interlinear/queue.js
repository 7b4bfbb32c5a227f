/* Review queue keyboard: j/k move, a approve, c request changes, x reject,
   s select for bulk, ? help, Esc leaves the comment field. A decision that
   needs a comment focuses the comment field; Enter there sends it. After a
   decision the next undecided item gets the focus. */
(function () {
  "use strict";
  var pending = null; // {form, button} waiting for a comment

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-il-queue-row]")); }
  function current() {
    var active = document.activeElement;
    return active ? active.closest("[data-il-queue-row]") : null;
  }
  function focusRow(row) {
    if (!row) return;
    rows().forEach(function (r) { r.classList.remove("il-current"); });
    row.classList.add("il-current");
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }
  function move(step) {
    var all = rows();
    if (!all.length) return;
    var index = all.indexOf(current());
    var next = index < 0 ? all[0] : all[Math.min(Math.max(index + step, 0), all.length - 1)];
    focusRow(next);
  }
  function nextUndecided(from) {
    var all = rows();
    var start = Math.max(all.indexOf(from), 0);
    for (var i = 1; i <= all.length; i++) {
      var candidate = all[(start + i) % all.length];
      if (!candidate.hasAttribute("data-il-done")) return candidate;
    }
    return null;
  }
  function send(form, button) {
    // htmx does not always see the submitter of requestSubmit(); name the decision explicitly.
    form.querySelector("[data-il-decision]").value = button.value;
    form.requestSubmit(button);
  }
  function decide(row, key) {
    var form = row.querySelector("form[data-il-decide]");
    if (!form) return;
    var button = form.querySelector('[data-il-key="' + key + '"]');
    var comment = form.querySelector("[data-il-comment]");
    if (button.hasAttribute("data-il-needs-comment") && !comment.value.trim()) {
      pending = { form: form, button: button };
      comment.placeholder = "Why? (Enter sends “" + button.textContent.trim() + "”, Esc cancels)";
      comment.classList.add("border-warning");
      comment.focus();
      return;
    }
    send(form, button);
  }
  function updateSelectedCount() {
    var count = document.querySelectorAll("[data-il-select]:checked").length;
    document.querySelectorAll("[data-il-selected-count]").forEach(function (el) { el.textContent = count; });
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var field = event.target.closest("input, textarea, select");
    if (field) {
      if (field.matches("[data-il-comment]")) {
        if (event.key === "Enter") {
          event.preventDefault();
          var form = field.form;
          var button = pending && pending.form === form ? pending.button : form.querySelector('[data-il-key="a"]');
          pending = null;
          send(form, button);
        } else if (event.key === "Escape") {
          pending = null;
          focusRow(field.closest("[data-il-queue-row]"));
        }
      }
      return;
    }
    if (!document.querySelector("[data-il-queue]")) return;
    var row = current();
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "a": case "c": case "x":
        if (row && !row.hasAttribute("data-il-done")) decide(row, event.key);
        break;
      case "s":
        if (row) {
          var box = row.querySelector("[data-il-select]");
          if (box) { box.checked = !box.checked; updateSelectedCount(); }
        }
        break;
      case "?":
        var help = document.getElementById("il-keys");
        if (help && window.bootstrap) window.bootstrap.Modal.getOrCreateInstance(help).show();
        break;
      default: return;
    }
    event.preventDefault();
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-il-select]")) updateSelectedCount();
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var swapped = event.detail.elt && event.detail.elt.closest ? event.detail.elt : null;
    var row = document.getElementById(event.detail.target.id) || swapped;
    if (!row || !row.matches || !row.matches("[data-il-queue-row]")) return;
    if (row.hasAttribute("data-il-done")) focusRow(nextUndecided(row));
    else focusRow(row);
  });

  document.addEventListener("DOMContentLoaded", function () {
    var first = rows()[0];
    if (first && !document.activeElement.closest("input, textarea, select")) focusRow(first);
  });
})();
