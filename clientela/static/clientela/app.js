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
