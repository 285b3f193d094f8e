// Global search dialog (Ctrl/Cmd-K) and small UI helpers. No build step.
(function () {
  "use strict";
  function openSearch() {
    var dialog = document.getElementById("search-dialog");
    if (!dialog) return;
    if (!dialog.open) dialog.showModal();
    var input = dialog.querySelector("input[type=search]");
    if (input) { input.focus(); input.select(); }
  }
  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "k") {
      event.preventDefault();
      openSearch();
    }
  });
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target && target.closest && target.closest("[data-open-search]")) openSearch();
    var dialog = document.getElementById("search-dialog");
    if (dialog && event.target === dialog) dialog.close();
  });
})();
// Dialogs: [data-open-dialog=id] opens <dialog id>, [data-close-dialog] closes its dialog;
// the link's href stays as the no-JavaScript fallback. Enter in the search box opens the first hit.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var opener = event.target.closest && event.target.closest("[data-open-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-open-dialog"));
      if (dialog && dialog.showModal) {
        event.preventDefault();
        dialog.showModal();
        var first = dialog.querySelector("input:not([type=hidden]), select, textarea, button");
        if (first) first.focus();
      }
      return;
    }
    var closer = event.target.closest && event.target.closest("[data-close-dialog]");
    if (closer && closer.closest("dialog")) {
      event.preventDefault();
      closer.closest("dialog").close();
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !event.target.closest) return;
    var dialog = event.target.closest("#search-dialog");
    if (!dialog) return;
    var hit = dialog.querySelector("a.search-hit");
    if (hit) { event.preventDefault(); window.location.href = hit.href; }
  });
})();
// Filters inside [data-drop-empty] leave empty fields out of the URL (?q=ana, not ?q=ana&tag=&…).
document.addEventListener("htmx:configRequest", function (event) {
  var elt = event.detail.elt;
  if (event.detail.verb !== "get" || !elt.closest || !elt.closest("[data-drop-empty]")) return;
  var params = event.detail.parameters;
  Object.keys(params).forEach(function (key) { if (params[key] === "") delete params[key]; });
});
// Merge screen: choosing which record stays picks that record's value in every row that differs
// (the other's when it has none); each row can still be changed by hand afterwards.
document.addEventListener("change", function (event) {
  var radio = event.target;
  if (radio.name !== "survivor" || !radio.closest || !radio.closest(".merge-form")) return;
  var side = radio.value === "b" ? "b" : "a";
  var other = side === "a" ? "b" : "a";
  radio.closest(".merge-form").querySelectorAll("tr[data-merge-field]").forEach(function (row) {
    var pick = row.getAttribute("data-empty-" + side) === "1" &&
      row.getAttribute("data-empty-" + other) !== "1" ? other : side;
    var input = row.querySelector("input[type=radio][value=" + pick + "]");
    if (input) input.checked = true;
  });
});

// Phones: list filters other than the search box fold behind a "More filters" button
// (open from the start when one of them is in use).
(function () {
  function setOpen(button, open) {
    button.closest("form").classList.toggle("filters-open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-toggle-filters]");
    if (button) setOpen(button, !button.closest("form").classList.contains("filters-open"));
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-toggle-filters]").forEach(function (button) {
      var fields = button.closest("form").querySelectorAll(
        ".filter:not(.filter-search) select, .filter:not(.filter-search) input"
      );
      // In use: a ticked box, a choice other than the first ("any"), a typed value.
      var used = Array.prototype.some.call(fields, function (field) {
        if (field.type === "checkbox" || field.type === "radio") return field.checked;
        if (field.tagName === "SELECT") return field.selectedIndex > 0;
        return field.type !== "hidden" && field.value;
      });
      if (used) setOpen(button, true);
    });
  });
})();

// The Content-Security-Policy allows no inline script, so no onchange/onsubmit attributes:
// <select data-autosubmit> submits its form when changed; <form data-confirm="…"> asks first.
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.matches && field.matches("[data-autosubmit]") && field.form) field.form.submit();
});
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.matches || !form.matches("form[data-confirm]")) return;
  if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
});
// <a data-history-back href="/">: back to the previous page (the link's own href without one).
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a[data-history-back]");
  if (!link || window.history.length < 2) return;
  event.preventDefault();
  window.history.back();
});

// Contact picker ([data-contact-picker], see contacts/includes/contact_picker.html): the search
// box lists visible contacts; choosing one fills the hidden input and names the choice;
// [data-picker-clear] empties it. Without JavaScript the page still shows the current contact.
document.addEventListener("click", function (event) {
  var target = event.target && event.target.closest ? event.target : null;
  if (!target) return;
  var picker = target.closest("[data-contact-picker]");
  if (!picker) return;
  var hidden = picker.querySelector("input[type=hidden]");
  var chosen = picker.querySelector("[data-picker-chosen]");
  var results = picker.querySelector("[data-picker-results]");
  var search = picker.querySelector("input[type=search]");
  var pick = target.closest("[data-pick-contact]");
  var clear = target.closest("[data-picker-clear]");
  if (!pick && !clear) return;
  event.preventDefault();
  if (hidden) hidden.value = pick ? pick.getAttribute("data-pick-contact") : "";
  if (chosen) chosen.textContent = pick ? pick.getAttribute("data-label") : chosen.getAttribute("data-none");
  picker.classList.toggle("has-choice", !!pick);
  if (results) results.textContent = "";
  if (search) { search.value = ""; if (!pick) search.focus(); }
});

// <button data-copy="#selector">: copy the element's text to the clipboard and say so.
document.addEventListener("click", function (event) {
  var button = event.target && event.target.closest && event.target.closest("[data-copy]");
  if (!button) return;
  var source = document.querySelector(button.getAttribute("data-copy"));
  if (!source) return;
  if (navigator.clipboard) navigator.clipboard.writeText(source.textContent.trim());
  button.textContent = "✓";
});
