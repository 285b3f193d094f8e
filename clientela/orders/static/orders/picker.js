// Order form: picking the contact who bought from the search results. No build step.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest && event.target.closest("[data-pick-contact]");
    if (!button) return;
    var hidden = document.getElementById("id_contact");
    if (hidden) hidden.value = button.getAttribute("data-pick-contact");
    var chosen = document.getElementById("customer-chosen");
    if (chosen) chosen.textContent = "✓ " + button.getAttribute("data-label");
    var results = document.getElementById("customer-results");
    if (results) results.textContent = "";
  });
})();
