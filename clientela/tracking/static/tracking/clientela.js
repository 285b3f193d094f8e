/*! Clientela first-party tracking. AGPL-3.0-or-later.
 * <script src="https://crm.example.co/t/clientela.js" data-site="PUBLIC_KEY" async></script>
 * Records page views and clicks on [data-clientela-cta] elements and sends them, in batches,
 * to the Clientela server that served this file, never to anyone else.
 * window.clientela('consent', true|false)  the visitor accepted / refused the visitor cookie
 * window.clientela('visitor')              the visitor id (forms post it as clientela_visitor)
 */
(function () {
  "use strict";
  var script = document.currentScript ||
    document.querySelector("script[data-site][src*='/t/clientela.js']");
  if (!script || !window.JSON || window.__clientela) return;
  window.__clientela = true;

  var COOKIE = "clv_id", FIELD = "clientela_visitor", MAX_AGE = 34128000; // 395 days
  var BATCH = 50, URL_MAX = 2048, TITLE_MAX = 300, CTA_MAX = 200;
  var site = script.getAttribute("data-site") || "";
  var base = script.src.replace(/\/t\/clientela\.js(?:[?#].*)?$/, "");
  var endpoint = base + "/t/events";
  var mode = null; // the site's consent mode, read from the server: always | after_consent | never
  var consent = script.getAttribute("data-consent") === "granted" ? true : null;
  var queue = [], timer = null;

  function newId() {
    var bytes = new Uint8Array(16), out = "";
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    for (var i = 0; i < bytes.length; i++) out += (bytes[i] + 256).toString(16).slice(1);
    return out;
  }
  function readCookie() {
    var match = document.cookie.match(/(?:^|;\s*)clv_id=([0-9a-f]{32})(?:;|$)/);
    return match ? match[1] : null;
  }
  function writeCookie(value, age) {
    document.cookie = COOKIE + "=" + value + "; Max-Age=" + age + "; Path=/; SameSite=Lax" +
      (location.protocol === "https:" ? "; Secure" : "");
  }
  // Without a cookie the id lives as long as the page: the page's events still go together
  // and a form on it still joins them to the contact.
  var visitor = readCookie() || newId();

  function allowed() {
    return mode === "always" || (mode === "after_consent" && consent === true);
  }
  function keep() {
    if (allowed()) writeCookie(visitor, MAX_AGE);
    else if (mode === "never" || consent === false) writeCookie("", 0);
    fill();
  }
  function fill(root) {
    var fields = (root || document).querySelectorAll("input[name=" + FIELD + "]");
    for (var i = 0; i < fields.length; i++) fields[i].value = visitor;
  }

  function send(events) {
    var body = JSON.stringify({ site: site, visitor: visitor, events: events });
    var sent = false;
    try {
      sent = navigator.sendBeacon && navigator.sendBeacon(endpoint, body);
    } catch (e) { sent = false; }
    if (!sent && window.fetch) {
      window.fetch(endpoint, {
        method: "POST", body: body, keepalive: true, mode: "cors", credentials: "omit",
        headers: { "Content-Type": "text/plain;charset=UTF-8" }
      }).catch(function () {});
    }
  }
  function flush() {
    if (timer) { clearTimeout(timer); timer = null; }
    while (queue.length) send(queue.splice(0, BATCH));
  }
  function later(ms) {
    if (!timer) timer = setTimeout(flush, ms);
  }
  function record(kind, extra) {
    var event = {
      kind: kind, url: String(location.href).slice(0, URL_MAX),
      title: String(document.title || "").slice(0, TITLE_MAX), ts: Date.now()
    };
    for (var key in extra) if (Object.prototype.hasOwnProperty.call(extra, key)) event[key] = extra[key];
    queue.push(event);
    if (queue.length >= BATCH) flush(); else later(kind === "pageview" ? 300 : 1000);
  }

  document.addEventListener("click", function (event) {
    var target = event.target && event.target.closest ? event.target.closest("[data-clientela-cta]") : null;
    if (!target) return;
    var label = target.getAttribute("data-clientela-cta") || target.textContent || "";
    record("click", { cta: label.replace(/\s+/g, " ").trim().slice(0, CTA_MAX) });
  }, true);
  // Leaving the page: whatever is queued goes now (sendBeacon survives the unload).
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") flush();
  });
  window.addEventListener("pagehide", flush);

  function api(command, value) {
    if (command === "consent") { consent = value === true; keep(); return consent; }
    if (command === "visitor") return visitor;
    if (command === "fill") { fill(value); return visitor; }
    return undefined;
  }
  // Calls made before the script loaded: window.clientela = window.clientela || function () {
  // (window.clientela.q = window.clientela.q || []).push(arguments); };
  var early = window.clientela && window.clientela.q ? window.clientela.q : [];
  window.clientela = api;

  function configured(value) {
    mode = value === "always" || value === "after_consent" ? value : "never";
    for (var i = 0; i < early.length; i++) api.apply(null, early[i]);
    keep();
    try { document.dispatchEvent(new CustomEvent("clientela:ready", { detail: { visitor: visitor } })); } catch (e) {}
  }
  if (window.fetch) {
    window.fetch(base + "/t/sites/" + encodeURIComponent(site) + ".json", { credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (data) { configured(data && data.consent); })
      .catch(function () { configured("never"); });
  } else {
    configured("never");
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { fill(); });
  } else {
    fill();
  }
  record("pageview", { referrer: String(document.referrer || "").slice(0, URL_MAX) });
})();
