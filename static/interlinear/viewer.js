/* Page images: zoomable viewer, drag-and-drop upload with progress, copy buttons.
 *
 * The strict Content-Security-Policy allows no inline script, style attribute
 * or on*= handler, so all behaviour is attached here, on DOMContentLoaded and
 * again whenever htmx brings in new content. Every initialiser is idempotent.
 * Without this file the panel and viewer still work as plain HTML.
 */
(function () {
  "use strict";

  var ZOOM_STEP = 1.25;
  var MAX_SCALE = 8; // eight screen pixels per image pixel
  var MIN_SCALE_OF_FIT = 0.5; // may zoom out to half the fitted size
  var PAN_STEP = 48;

  function clamp(value, low, high) {
    return Math.min(Math.max(value, low), high);
  }

  function once(element, key) {
    if (element.dataset[key]) {
      return false;
    }
    element.dataset[key] = "1";
    return true;
  }

  /* --- Viewer ---------------------------------------------------------- */

  function initViewer(root) {
    if (!once(root, "ilViewerReady")) {
      return;
    }
    var stage = root.querySelector("[data-il-viewer-stage]");
    var image = root.querySelector("[data-il-viewer-image]");
    if (!stage || !image) {
      return; // empty state
    }
    var toolbar = root.querySelector("[data-il-viewer-toolbar]");
    var zoomLevel = root.querySelector("[data-il-zoom-level]");
    var pageLabel = root.querySelector("[data-il-page-label]");
    var pages = Array.prototype.slice.call(root.querySelectorAll("[data-il-viewer-page]"));
    var view = { scale: 1, x: 0, y: 0, fitScale: 1, fitted: true };
    var current = 0;
    var pointers = new Map();
    var drag = null;
    var pinch = null;

    root.classList.add("il-enhanced");
    if (toolbar) {
      toolbar.hidden = false;
    }

    function natural() {
      return { width: image.naturalWidth, height: image.naturalHeight };
    }

    function apply() {
      image.style.transform = "translate(" + view.x + "px, " + view.y + "px) scale(" + view.scale + ")";
      if (zoomLevel) {
        zoomLevel.textContent = Math.round(view.scale * 100) + "%";
      }
    }

    /* Keep the image in the window: centred while smaller than it, edge to edge once larger. */
    function keepInView() {
      var size = natural();
      var width = size.width * view.scale;
      var height = size.height * view.scale;
      var stageWidth = stage.clientWidth;
      var stageHeight = stage.clientHeight;
      view.x = width <= stageWidth ? (stageWidth - width) / 2 : clamp(view.x, stageWidth - width, 0);
      view.y = height <= stageHeight ? (stageHeight - height) / 2 : clamp(view.y, stageHeight - height, 0);
    }

    function fit() {
      var size = natural();
      if (!size.width || !size.height || !stage.clientWidth) {
        return;
      }
      view.fitScale = Math.min(stage.clientWidth / size.width, stage.clientHeight / size.height);
      view.scale = view.fitScale;
      view.fitted = true;
      keepInView();
      apply();
    }

    function zoomAt(factor, pointX, pointY) {
      if (!natural().width) {
        return;
      }
      var low = view.fitScale * MIN_SCALE_OF_FIT;
      var high = Math.max(MAX_SCALE, view.fitScale);
      var scale = clamp(view.scale * factor, low, high);
      if (pointX === undefined) {
        pointX = stage.clientWidth / 2;
        pointY = stage.clientHeight / 2;
      }
      // The image point under (pointX, pointY) stays under it.
      view.x = pointX - (pointX - view.x) * (scale / view.scale);
      view.y = pointY - (pointY - view.y) * (scale / view.scale);
      view.scale = scale;
      view.fitted = false;
      keepInView();
      apply();
    }

    function panBy(dx, dy) {
      view.x += dx;
      view.y += dy;
      view.fitted = false;
      keepInView();
      apply();
    }

    function stagePoint(event) {
      var box = stage.getBoundingClientRect();
      return { x: event.clientX - box.left, y: event.clientY - box.top };
    }

    function showPage(index) {
      if (!pages.length) {
        return;
      }
      current = (index + pages.length) % pages.length;
      var link = pages[current];
      pages.forEach(function (page, i) {
        var item = page.closest(".page-item");
        if (item) {
          item.classList.toggle("active", i === current);
        }
        if (i === current) {
          page.setAttribute("aria-current", "page");
        } else {
          page.removeAttribute("aria-current");
        }
      });
      if (pageLabel && link.dataset.ilLabel) {
        pageLabel.textContent = link.dataset.ilLabel;
      }
      if (image.getAttribute("src") !== link.getAttribute("href")) {
        stage.classList.add("is-loading");
        image.alt = link.dataset.ilAlt || "";
        image.src = link.getAttribute("href");
      }
    }

    image.addEventListener("load", function () {
      stage.classList.remove("is-loading");
      fit();
    });
    image.addEventListener("error", function () {
      stage.classList.remove("is-loading");
    });
    if (image.complete && image.naturalWidth) {
      fit();
    } else {
      stage.classList.add("is-loading");
    }

    root.addEventListener("click", function (event) {
      var zoom = event.target.closest("[data-il-zoom]");
      var step = event.target.closest("[data-il-page-step]");
      var page = event.target.closest("[data-il-viewer-page]");
      if (zoom) {
        if (zoom.dataset.ilZoom === "in") {
          zoomAt(ZOOM_STEP);
        } else if (zoom.dataset.ilZoom === "out") {
          zoomAt(1 / ZOOM_STEP);
        } else {
          fit();
        }
      } else if (step) {
        showPage(current + Number(step.dataset.ilPageStep));
      } else if (page && !(event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0)) {
        event.preventDefault(); // a plain click turns the page; modified clicks still open the image
        showPage(pages.indexOf(page));
      }
    });

    root.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey || event.target.closest("input, textarea, select")) {
        return;
      }
      var onStage = event.target === stage;
      switch (event.key) {
        case "+":
        case "=":
          zoomAt(ZOOM_STEP);
          break;
        case "-":
        case "_":
        case "\u2212":
          zoomAt(1 / ZOOM_STEP);
          break;
        case "0":
          fit();
          break;
        case "PageUp":
          showPage(current - 1);
          break;
        case "PageDown":
          showPage(current + 1);
          break;
        case "ArrowLeft":
        case "ArrowRight":
        case "ArrowUp":
        case "ArrowDown":
          if (!onStage) {
            return;
          }
          panBy(
            event.key === "ArrowLeft" ? PAN_STEP : event.key === "ArrowRight" ? -PAN_STEP : 0,
            event.key === "ArrowUp" ? PAN_STEP : event.key === "ArrowDown" ? -PAN_STEP : 0
          );
          break;
        default:
          return;
      }
      if ((event.key === "PageUp" || event.key === "PageDown") && pages.length < 2) {
        return;
      }
      event.preventDefault();
    });

    stage.addEventListener(
      "wheel",
      function (event) {
        event.preventDefault();
        var point = stagePoint(event);
        // Pixel deltas from trackpads are small and many; line and page deltas are coarse.
        var delta = event.deltaMode === 0 ? event.deltaY : event.deltaY * 40;
        zoomAt(Math.exp(clamp(-delta, -200, 200) * 0.002), point.x, point.y);
      },
      { passive: false }
    );

    stage.addEventListener("dblclick", function (event) {
      var point = stagePoint(event);
      zoomAt(event.shiftKey ? 1 / (ZOOM_STEP * ZOOM_STEP) : ZOOM_STEP * ZOOM_STEP, point.x, point.y);
    });

    stage.addEventListener("pointerdown", function (event) {
      if (event.pointerType === "mouse" && event.button !== 0) {
        return;
      }
      stage.setPointerCapture(event.pointerId);
      pointers.set(event.pointerId, stagePoint(event));
      if (pointers.size === 1) {
        drag = { startX: event.clientX, startY: event.clientY, x: view.x, y: view.y };
        stage.classList.add("is-dragging");
      } else if (pointers.size === 2) {
        drag = null;
        var points = Array.from(pointers.values());
        pinch = { distance: Math.hypot(points[0].x - points[1].x, points[0].y - points[1].y) };
      }
    });

    stage.addEventListener("pointermove", function (event) {
      if (!pointers.has(event.pointerId)) {
        return;
      }
      pointers.set(event.pointerId, stagePoint(event));
      if (pinch && pointers.size === 2) {
        var points = Array.from(pointers.values());
        var distance = Math.hypot(points[0].x - points[1].x, points[0].y - points[1].y);
        if (pinch.distance > 0) {
          zoomAt(distance / pinch.distance, (points[0].x + points[1].x) / 2, (points[0].y + points[1].y) / 2);
        }
        pinch.distance = distance;
      } else if (drag) {
        view.x = drag.x + (event.clientX - drag.startX);
        view.y = drag.y + (event.clientY - drag.startY);
        view.fitted = false;
        keepInView();
        apply();
      }
    });

    function endPointer(event) {
      pointers.delete(event.pointerId);
      if (pointers.size < 2) {
        pinch = null;
      }
      if (pointers.size === 0) {
        drag = null;
        stage.classList.remove("is-dragging");
      }
    }
    stage.addEventListener("pointerup", endPointer);
    stage.addEventListener("pointercancel", endPointer);

    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        if (view.fitted) {
          fit();
        } else if (natural().width) {
          keepInView();
          apply();
        }
      }).observe(stage);
    }
  }

  /* --- Upload ---------------------------------------------------------- */

  function describeChosen(input, output) {
    if (!output) {
      return;
    }
    var names = Array.prototype.map.call(input.files || [], function (file) {
      return file.name;
    });
    output.textContent = names.length
      ? names.length + (names.length === 1 ? " file chosen: " : " files chosen: ") + names.join(", ")
      : "";
  }

  function initUpload(form) {
    if (!once(form, "ilUploadReady")) {
      return;
    }
    var zone = form.querySelector("[data-il-dropzone]");
    var input = form.querySelector('input[type="file"][name="images"]');
    var chosen = form.querySelector("[data-il-chosen]");
    var progress = form.querySelector("[data-il-progress]");
    var meter = form.querySelector("[data-il-progress-meter]");
    var bar = form.querySelector("[data-il-progress-bar]");
    var text = form.querySelector("[data-il-progress-text]");
    var shown = 0;

    form.classList.add("il-enhanced");
    if (input) {
      input.addEventListener("change", function () {
        describeChosen(input, chosen);
      });
    }

    if (zone && input) {
      var depth = 0; // dragenter/dragleave fire for every child crossed
      zone.addEventListener("dragenter", function (event) {
        if (hasFiles(event)) {
          depth += 1;
          zone.classList.add("is-dragover");
        }
      });
      zone.addEventListener("dragover", function (event) {
        if (hasFiles(event)) {
          event.preventDefault();
          event.dataTransfer.dropEffect = "copy";
        }
      });
      zone.addEventListener("dragleave", function () {
        depth = Math.max(depth - 1, 0);
        if (!depth) {
          zone.classList.remove("is-dragover");
        }
      });
      zone.addEventListener("drop", function (event) {
        depth = 0;
        zone.classList.remove("is-dragover");
        if (!hasFiles(event)) {
          return;
        }
        event.preventDefault();
        input.files = event.dataTransfer.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
        var submit = form.querySelector('button[type="submit"]');
        if (submit) {
          submit.focus();
        }
      });
    }

    function setProgress(percent, message) {
      shown = percent;
      if (bar) {
        bar.style.width = percent + "%";
      }
      if (meter) {
        meter.setAttribute("aria-valuenow", String(percent));
      }
      if (text) {
        text.textContent = message;
      }
    }

    form.addEventListener("htmx:beforeRequest", function (event) {
      if (event.target !== form) {
        return;
      }
      if (progress) {
        progress.hidden = false;
      }
      setProgress(0, "Uploading…");
    });

    // htmx reports both the upload and the download of the answer; the bar only moves forward.
    form.addEventListener("htmx:xhr:progress", function (event) {
      var detail = event.detail || {};
      if (!detail.lengthComputable || !detail.total) {
        return;
      }
      var percent = Math.round((100 * detail.loaded) / detail.total);
      if (percent > shown) {
        setProgress(percent, percent < 100 ? "Uploading… " + percent + "%" : "Checking and storing the images…");
      }
    });

    form.addEventListener("htmx:afterRequest", function (event) {
      // On success the panel (with this form) is replaced; this matters when the request failed.
      if (event.target === form && progress && event.detail && !event.detail.successful) {
        progress.hidden = true;
        setProgress(0, "");
      }
    });
  }

  function hasFiles(event) {
    var types = event.dataTransfer && event.dataTransfer.types;
    return !!types && Array.prototype.indexOf.call(types, "Files") !== -1;
  }

  /* --- Copy buttons ---------------------------------------------------- */

  function initCopy(button) {
    if (!navigator.clipboard || !once(button, "ilCopyReady")) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.dataset.ilCopy).then(
        function () {
          var label = button.textContent;
          button.textContent = "Copied";
          window.setTimeout(function () {
            button.textContent = label;
          }, 1500);
        },
        function () {
          button.textContent = "Select and copy";
        }
      );
    });
  }

  /* --- Wiring ---------------------------------------------------------- */

  function initAll(scope) {
    var root = scope && scope.querySelectorAll ? scope : document;
    var each = function (selector, init) {
      if (root.matches && root.matches(selector)) {
        init(root);
      }
      Array.prototype.forEach.call(root.querySelectorAll(selector), init);
    };
    each("[data-il-viewer]", initViewer);
    each("form[data-il-upload]", initUpload);
    each("[data-il-copy]", initCopy);
  }

  document.addEventListener("DOMContentLoaded", function () {
    initAll(document);
  });
  document.addEventListener("htmx:load", function (event) {
    initAll(event.target);
  });
  document.addEventListener("htmx:afterSwap", function () {
    initAll(document);
  });
  document.addEventListener("htmx:oobAfterSwap", function () {
    initAll(document);
  });

  // An upload from a page that also shows the viewer asks for the refreshed viewer too.
  document.addEventListener("htmx:configRequest", function (event) {
    var source = event.detail && event.detail.elt;
    if (source && source.matches && source.matches("form[data-il-upload]") && document.getElementById("il-viewer")) {
      event.detail.headers["X-Interlinear-Viewer"] = "1";
    }
  });

  // A file dropped beside the drop zone must not replace the page with the image.
  ["dragover", "drop"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var inZone = event.target.closest && event.target.closest("[data-il-dropzone]");
      if (hasFiles(event) && !inZone && document.querySelector("[data-il-dropzone]")) {
        event.preventDefault();
      }
    });
  });
})();
