/* The deals board: drag a card to another stage (SortableJS), a lost stage asks why.
 * Each card also has a plain "Move to" form, the keyboard and no-script alternative. */
(function () {
  "use strict";

  var board = document.querySelector("[data-board]");
  if (!board || typeof Sortable === "undefined") { return; }
  var status = document.getElementById("board-status");
  var dialog = document.getElementById("lost-dialog");
  var lostForm = dialog ? dialog.querySelector("[data-lost-form]") : null;
  var number = new Intl.NumberFormat(board.dataset.lang || "es", { maximumFractionDigits: 0 });
  var pending = null;

  function csrf() {
    var input = document.querySelector("[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function say(text, bad) {
    if (!status) { return; }
    status.textContent = text;
    status.className = "board-status" + (bad ? " board-status-bad" : " board-status-good");
  }

  function column(list) { return list.closest(".board-column"); }

  function adjust(list, count, amount) {
    var col = column(list);
    var badge = col.querySelector("[data-count]");
    var sum = col.querySelector("[data-sum]");
    badge.textContent = String(parseInt(badge.textContent, 10) + count);
    var total = parseFloat(sum.dataset.sum) + amount;
    sum.dataset.sum = String(total);
    sum.textContent = number.format(total);
  }

  function revert(move) {
    var children = move.from.children;
    move.from.insertBefore(move.item, children[move.oldIndex] || null);
  }

  function send(move, extra) {
    var card = move.item;
    var body = new FormData();
    body.append("stage", move.to.dataset.stage);
    body.append("version", card.dataset.version);
    Object.keys(extra || {}).forEach(function (key) { body.append(key, extra[key]); });
    return fetch(card.dataset.moveUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf() }
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    }).then(function (answer) {
      if (answer.status === 200) {
        var amount = parseFloat(card.dataset.amount) || 0;
        card.dataset.version = String(answer.data.version);
        var version = card.querySelector("input[name=version]");
        if (version) { version.value = String(answer.data.version); }
        var select = card.querySelector("select[name=stage]");
        if (select) { select.value = move.to.dataset.stage; }
        adjust(move.from, -1, -amount);
        adjust(move.to, 1, amount);
        say(board.dataset.moved || card.querySelector(".deal-title").textContent + " → " + column(move.to).querySelector("h2").textContent, false);
        return true;
      }
      if (answer.status === 400 && extra && extra.lost_reason !== undefined) {
        return answer.data;
      }
      revert(move);
      say(answer.data.detail || "Error", true);
      return false;
    }).catch(function () {
      revert(move);
      say("Error", true);
      return false;
    });
  }

  function askWhy(move) {
    pending = move;
    lostForm.reset();
    lostForm.querySelector("[data-lost-error]").textContent = "";
    dialog.showModal();
  }

  if (lostForm) {
    lostForm.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!pending) { return; }
      var move = pending;
      var extra = {
        lost_reason: lostForm.elements.lost_reason.value,
        lost_note: lostForm.elements.lost_note.value
      };
      send(move, extra).then(function (result) {
        if (result === true || result === false) {
          pending = null;
          dialog.close();
          return;
        }
        var errors = (result && result.errors) || {};
        var messages = [].concat(errors.lost_reason || [], errors.lost_note || [], errors.__all__ || []);
        lostForm.querySelector("[data-lost-error]").textContent = messages.join(" ") || result.detail;
      });
    });
    lostForm.querySelector("[data-lost-cancel]").addEventListener("click", function () {
      if (pending) { revert(pending); }
      pending = null;
      dialog.close();
    });
    dialog.addEventListener("cancel", function () {
      if (pending) { revert(pending); }
      pending = null;
    });
  }

  board.querySelectorAll("[data-cards]").forEach(function (list) {
    Sortable.create(list, {
      group: "deals",
      draggable: ".deal-card",
      filter: "form, select, button, input, .more",
      preventOnFilter: false,
      forceFallback: true,
      animation: 120,
      onEnd: function (event) {
        if (event.from === event.to) { return; }
        var move = { item: event.item, from: event.from, to: event.to, oldIndex: event.oldIndex };
        if (column(event.to).dataset.kind === "lost") {
          askWhy(move);
        } else {
          send(move, null);
        }
      }
    });
  });
})();
