// Kontor's small behaviours: toasts, confirmation of destructive actions, bulk selection.
(function () {
  "use strict";

  function showToasts(root) {
    if (!window.bootstrap) return;
    root.querySelectorAll(".toast:not(.show)").forEach(function (element) {
      window.bootstrap.Toast.getOrCreateInstance(element).show();
    });
  }

  function updateBulk(form) {
    var boxes = form.querySelectorAll('input[name="selected"]');
    var checked = form.querySelectorAll('input[name="selected"]:checked').length;
    var bar = form.querySelector(".bulk-bar");
    if (bar) bar.hidden = checked === 0;
    var count = form.querySelector("[data-bulk-count]");
    if (count) count.textContent = checked;
    var all = form.querySelector("[data-bulk-all]");
    if (all) {
      all.checked = checked > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    }
  }

  document.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-bulk]");
    if (!form) return;
    if (event.target.matches("[data-bulk-all]")) {
      form.querySelectorAll('input[name="selected"]').forEach(function (box) { box.checked = event.target.checked; });
    }
    updateBulk(form);
  });

  // Destructive actions say what will happen and ask first.
  document.addEventListener("click", function (event) {
    var trigger = event.target.closest("[data-confirm]");
    if (trigger && !window.confirm(trigger.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // Escape closes the global search results.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var results = document.getElementById("global-search-results");
      if (results) results.innerHTML = "";
    }
  });
  document.addEventListener("click", function (event) {
    var results = document.getElementById("global-search-results");
    if (results && !event.target.closest(".global-search")) results.innerHTML = "";
  });

  document.addEventListener("DOMContentLoaded", function () { showToasts(document); });
  document.addEventListener("htmx:afterSwap", function (event) { showToasts(document); });
})();
