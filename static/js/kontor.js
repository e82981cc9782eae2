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

  // A canned response fills the reply box with the ticket's values (the server fills the placeholders).
  document.addEventListener("change", function (event) {
    var select = event.target.closest("select[data-canned-url]");
    if (!select || !select.value) return;
    var url = select.dataset.cannedUrl.replace(/\/0\/$/, "/" + encodeURIComponent(select.value) + "/");
    var box = document.querySelector(select.dataset.cannedTarget || "#id_body");
    fetch(url, { credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.text() : Promise.reject(response.status);
    }).then(function (text) {
      if (!box) return;
      box.value = box.value ? box.value.replace(/\s*$/, "") + "\n\n" + text : text;
      box.focus();
      select.value = "";
    });
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

  // Autocomplete: picking an option stores its id; typing again clears the choice until a new pick.
  document.addEventListener("click", function (event) {
    var option = event.target.closest(".autocomplete-option");
    if (!option) return;
    var box = option.closest("[data-autocomplete]");
    box.querySelector("[data-autocomplete-value]").value = option.dataset.value;
    var input = box.querySelector("input[type=search]");
    input.value = option.dataset.label;
    input.setAttribute("aria-expanded", "false");
    option.parentElement.innerHTML = "";
    input.focus();
  });
  document.addEventListener("input", function (event) {
    var box = event.target.closest("[data-autocomplete]");
    if (box && event.target.type === "search") {
      box.querySelector("[data-autocomplete-value]").value = "";
      event.target.setAttribute("aria-expanded", "true");
    }
  });
  document.addEventListener("keydown", function (event) {
    var box = event.target.closest("[data-autocomplete]");
    if (!box || (event.key !== "ArrowDown" && event.key !== "ArrowUp")) return;
    var options = Array.prototype.slice.call(box.querySelectorAll(".autocomplete-option"));
    if (!options.length) return;
    event.preventDefault();
    var index = options.indexOf(document.activeElement);
    var next = event.key === "ArrowDown" ? Math.min(index + 1, options.length - 1) : index - 1;
    if (next < 0) box.querySelector("input[type=search]").focus(); else options[next].focus();
  });

  // Pipeline board: drag a card onto another column; the move is saved with htmx, and put back if refused.
  var dragged = null;
  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".kanban-card[draggable=true]");
    if (!card) return;
    dragged = card;
    card.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
  });
  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("is-dragging");
    document.querySelectorAll(".kanban-column.is-target").forEach(function (c) { c.classList.remove("is-target"); });
    dragged = null;
  });
  document.addEventListener("dragover", function (event) {
    var column = dragged && event.target.closest(".kanban-column");
    if (!column) return;
    event.preventDefault();
    column.classList.add("is-target");
  });
  document.addEventListener("dragleave", function (event) {
    var column = event.target.closest && event.target.closest(".kanban-column");
    if (column && !column.contains(event.relatedTarget)) column.classList.remove("is-target");
  });
  document.addEventListener("drop", function (event) {
    var column = dragged && event.target.closest(".kanban-column");
    if (!column) return;
    event.preventDefault();
    var card = dragged, from = card.parentElement, stage = column.dataset.stage;
    column.querySelector(".kanban-cards").appendChild(card);
    closeMoveMenu(false);
    window.htmx.ajax("POST", card.dataset.moveUrl, {values: {stage: stage}, swap: "none", source: card}).then(function () {}, function () {});
    card.addEventListener("htmx:responseError", function restore() {
      from.appendChild(card);
      card.removeEventListener("htmx:responseError", restore);
    });
  });

  // Pipeline board: one move menu for all cards. A card's "Move" (a link to the deal's move form without
  // JavaScript) opens it under the card, with the card's stage marked; Escape or "Cancel" closes it.
  var moveMenu = document.getElementById("kanban-move-menu"), moveOpener = null;
  function closeMoveMenu(focusOpener) {
    if (!moveMenu || moveMenu.hidden) return;
    moveMenu.hidden = true;
    if (moveOpener) {
      moveOpener.setAttribute("aria-expanded", "false");
      if (focusOpener) moveOpener.focus();
    }
    moveOpener = null;
  }
  function openMoveMenu(opener) {
    var card = opener.closest(".kanban-card"), stage = card.closest(".kanban-column").dataset.stage;
    closeMoveMenu(false);
    moveMenu.querySelector("form").action = card.dataset.moveUrl;
    moveMenu.querySelector("#kanban-move-title").textContent =
      moveMenu.dataset.title.replace("__name__", card.querySelector("a").textContent);
    moveMenu.querySelectorAll("button[name=stage]").forEach(function (button) {
      var current = button.value === stage;
      button.disabled = current;
      if (current) button.setAttribute("aria-current", "true"); else button.removeAttribute("aria-current");
    });
    opener.after(moveMenu);
    moveMenu.hidden = false;
    moveOpener = opener;
    opener.setAttribute("aria-expanded", "true");
    moveMenu.querySelector("button[name=stage]:not([disabled])").focus();
  }
  if (moveMenu) {
    document.querySelectorAll("[data-move-menu]").forEach(function (opener) {
      opener.setAttribute("role", "button");
      opener.setAttribute("aria-haspopup", "dialog");
      opener.setAttribute("aria-expanded", "false");
      opener.setAttribute("aria-controls", "kanban-move-menu");
    });
    document.addEventListener("click", function (event) {
      var opener = event.target.closest("[data-move-menu]");
      if (opener) {
        event.preventDefault();
        if (opener === moveOpener) closeMoveMenu(true); else openMoveMenu(opener);
      } else if (event.target.closest("[data-move-menu-close]")) {
        closeMoveMenu(true);
      } else if (!moveMenu.contains(event.target)) {
        closeMoveMenu(false);
      }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && moveOpener) closeMoveMenu(true);
      else if (event.key === " " && event.target.closest("[data-move-menu]")) {
        event.preventDefault();  // a link made a button: Space presses it too
        event.target.click();
      }
    });
  }

  // Formsets (quote and order lines): "Add line" copies the empty form and renumbers it.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-formset-add]");
    if (!button) return;
    var formset = button.closest("[data-formset]"), prefix = formset.dataset.prefix;
    var total = formset.querySelector("input[name=" + prefix + "-TOTAL_FORMS]");
    var index = parseInt(total.value, 10);
    var html = formset.querySelector("template[data-formset-template]").innerHTML.replace(/__prefix__/g, index);
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var form = holder.firstElementChild;
    formset.querySelector("[data-formset-forms]").appendChild(form);
    total.value = index + 1;
    if (window.htmx) window.htmx.process(form);
    var first = form.querySelector("input[type=search], input:not([type=hidden])");
    if (first) first.focus();
  });

  document.addEventListener("DOMContentLoaded", function () { showToasts(document); });
  document.addEventListener("htmx:afterSwap", function (event) { showToasts(document); });
})();
