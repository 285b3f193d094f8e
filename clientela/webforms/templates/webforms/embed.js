/* Clientela web form: renders the form in this page and submits it to Clientela (CORS). */
(function () {
  "use strict";
  var C = {{ config|safe }};
  var script = document.currentScript;
  var host = document.createElement("div");
  host.className = "clientela-form";
  if (script && script.parentNode) { script.parentNode.insertBefore(host, script); } else { document.body.appendChild(host); }
  host.innerHTML = C.html;
  var form = host.querySelector("form");
  var widget = form.querySelector("altcha-widget");
  if (widget) {
    widget.setAttribute("challengeurl", C.challenge);
    if (!(window.customElements && window.customElements.get("altcha-widget"))) {
      var loader = document.createElement("script");
      loader.src = C.widget;
      loader.defer = true;
      document.head.appendChild(loader);
    }
  }
  var params = new URLSearchParams(window.location.search);
  Array.prototype.forEach.call(form.querySelectorAll("input[data-param]"), function (input) {
    var value = params.get(input.getAttribute("data-param"));
    if (value) { input.value = value; }
  });
  try {
    if (typeof window.clientela === "function") {
      var visitor = window.clientela("visitor");
      if (visitor) { form.elements.clientela_visitor.value = String(visitor); }
    }
  } catch (ignored) { /* the tracking script is optional */ }
  form.elements._page.value = window.location.href;
  form.elements._referrer.value = document.referrer || "";

  function showErrors(errors) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-errors-for]"), function (node) {
      var messages = errors[node.getAttribute("data-errors-for")] || [];
      node.textContent = messages.join(" ");
      if (node.parentNode && node.parentNode.classList) {
        node.parentNode.classList.toggle("cf-invalid", messages.length > 0);
      }
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var data = {};
    new FormData(form).forEach(function (value, key) { data[key] = value; });
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
    fetch(C.action, {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      headers: {"Content-Type": "application/json", "Accept": "application/json"},
      body: JSON.stringify(data)
    }).then(function (response) {
      return response.json().then(function (body) { return {status: response.status, body: body}; });
    }).then(function (result) {
      if (button) { button.disabled = false; }
      if (result.status === 201) {
        if (result.body.redirect) { window.location.href = result.body.redirect; return; }
        var thanks = document.createElement("p");
        thanks.className = "cf-thanks";
        thanks.setAttribute("role", "status");
        thanks.textContent = result.body.message || "";
        host.replaceChildren(thanks);
        return;
      }
      showErrors(result.body.errors || {"__all__": [result.body.detail || C.failed]});
    }).catch(function () {
      if (button) { button.disabled = false; }
      showErrors({"__all__": [C.failed]});
    });
  });
})();
