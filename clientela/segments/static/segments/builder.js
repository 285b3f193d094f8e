// Segment condition builder: edits nested AND/OR groups with NOT, writes the definition's JSON
// into the form's hidden field, and asks the server for the live count (debounced). No build
// step, no inline script (the CSP forbids it): data comes from json_script blocks, every text
// is set with textContent, so nothing a user typed is ever read as HTML.
(function () {
  "use strict";

  var root = document.getElementById("builder");
  if (!root) return;
  var form = root.closest("form");
  var hidden = form.querySelector("input[name=definition]");
  var catalogue = JSON.parse(document.getElementById("segment-catalogue").textContent);
  var initial = JSON.parse(document.getElementById("segment-definition").textContent);
  var serverErrors = JSON.parse(document.getElementById("segment-errors").textContent);
  var words = catalogue.words;
  var fields = {};
  catalogue.groups.forEach(function (group) {
    group.fields.forEach(function (field) { fields[field.field] = field; });
  });
  var uid = 0;

  // --- the model -----------------------------------------------------------------------------

  function makeGroup(mode, children, negate) {
    return { id: ++uid, type: "group", mode: mode, children: children || [], negate: !!negate };
  }

  function makeCondition(data, negate) {
    var params = {};
    Object.keys(data || {}).forEach(function (key) {
      if (key !== "field" && key !== "op" && key !== "value") params[key] = data[key];
    });
    return {
      id: ++uid, type: "cond", field: (data && data.field) || "", op: (data && data.op) || "",
      value: data && data.value !== undefined ? data.value : null, params: params, negate: !!negate
    };
  }

  function fromJSON(data, negate) {
    if (data && typeof data === "object" && !Array.isArray(data)) {
      if ("not" in data) return fromJSON(data.not, !negate);
      if (Array.isArray(data.all)) return makeGroup("all", data.all.map(function (c) { return fromJSON(c); }), negate);
      if (Array.isArray(data.any)) return makeGroup("any", data.any.map(function (c) { return fromJSON(c); }), negate);
      if ("field" in data) return makeCondition(data, negate);
    }
    return makeGroup("all", [], negate);
  }

  function operandOf(op) {
    var known = catalogue.operators[op];
    return known ? known.operand : "none";
  }

  function toJSON(node) {
    var out;
    if (node.type === "group") {
      out = {};
      out[node.mode] = node.children.map(toJSON);
    } else {
      out = { field: node.field, op: node.op };
      if (operandOf(node.op) !== "none" && node.value !== null && node.value !== undefined) out.value = node.value;
      Object.keys(node.params).forEach(function (key) {
        var value = node.params[key];
        if (value !== "" && value !== null && value !== undefined) out[key] = value;
      });
    }
    return node.negate ? { not: out } : out;
  }

  var model = fromJSON(initial);
  if (model.type !== "group") model = makeGroup("all", [model]);

  function resetCondition(node, fieldName) {
    var field = fields[fieldName];
    node.field = fieldName;
    node.op = field ? field.operators[0] : "";
    node.value = null;
    node.params = {};
    if (field) {
      field.params.forEach(function (param) {
        node.params[param.name] = param.choices && param.required ? param.choices[0][0] : "";
      });
    }
  }

  // --- rendering -------------------------------------------------------------------------------

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (attrs[key] === false || attrs[key] === null || attrs[key] === undefined) return;
      if (key === "class") node.className = attrs[key];
      else node.setAttribute(key, attrs[key] === true ? "" : attrs[key]);
    });
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function option(value, label, selected) {
    var node = el("option", { value: value }, label);
    if (selected) node.selected = true;
    return node;
  }

  function join(path, key) { return path ? path + "." + key : String(key); }

  function fieldSelect(node) {
    var select = el("select", { id: "b" + node.id + "-field", "aria-label": words.field, "data-role": "field" });
    select.appendChild(option("", words.chooseField, !node.field));
    catalogue.groups.forEach(function (group) {
      var optgroup = el("optgroup", { label: group.label });
      group.fields.forEach(function (field) {
        optgroup.appendChild(option(field.field, field.label, field.field === node.field));
      });
      select.appendChild(optgroup);
    });
    if (node.field && !fields[node.field]) select.appendChild(option(node.field, node.field, true));
    return select;
  }

  function operatorSelect(node) {
    var field = fields[node.field];
    var select = el("select", { id: "b" + node.id + "-op", "aria-label": words.operator, "data-role": "op" });
    (field ? field.operators : []).forEach(function (code) {
      select.appendChild(option(code, catalogue.operators[code].label, code === node.op));
    });
    return select;
  }

  function input(node, type, value, label, index, extra) {
    var attrs = {
      type: type, value: value === null || value === undefined ? "" : String(value),
      "aria-label": label, "data-role": "value", id: "b" + node.id + "-value" + (index || 0)
    };
    if (index !== undefined) attrs["data-index"] = index;
    Object.keys(extra || {}).forEach(function (key) { attrs[key] = extra[key]; });
    return el("input", attrs);
  }

  function operandInputs(node, label) {
    var field = fields[node.field];
    var operand = operandOf(node.op);
    var box = el("span", { class: "operand" });
    var value = node.value;
    if (operand === "text") box.appendChild(input(node, "text", value, label, undefined, { maxlength: 200 }));
    else if (operand === "number") box.appendChild(input(node, "number", value, label, undefined, { step: "any" }));
    else if (operand === "days") {
      box.appendChild(input(node, "number", value, label, undefined, { min: 0, max: 3660, step: 1, class: "days" }));
      box.appendChild(el("span", { class: "muted" }, words.days));
    } else if (operand === "date") box.appendChild(input(node, "date", value, label));
    else if (operand === "number_range" || operand === "date_range") {
      var pair = Array.isArray(value) ? value : ["", ""];
      var type = operand === "date_range" ? "date" : "number";
      var extra = type === "number" ? { step: "any" } : {};
      box.appendChild(input(node, type, pair[0], label + " (" + words.from + ")", 0, extra));
      box.appendChild(el("span", { class: "muted" }, words.to));
      box.appendChild(input(node, type, pair[1], label + " (" + words.to + ")", 1, extra));
    } else if (operand === "month") {
      var month = el("select", { "aria-label": label, "data-role": "value", id: "b" + node.id + "-value0" });
      month.appendChild(option("", "—", value === null));
      catalogue.months.forEach(function (pairs) {
        month.appendChild(option(String(pairs[0]), pairs[1], String(value) === String(pairs[0])));
      });
      box.appendChild(month);
    } else if (operand === "segment") {
      var segment = el("select", { "aria-label": label, "data-role": "value", id: "b" + node.id + "-value0" });
      segment.appendChild(option("", "—", value === null));
      (field ? field.choices : []).forEach(function (pairs) {
        segment.appendChild(option(pairs[0], pairs[1], String(value) === pairs[0]));
      });
      box.appendChild(segment);
    } else if (operand === "choices") {
      var chosen = Array.isArray(value) ? value.map(String) : [];
      var set = el("fieldset", { class: "choice-box", "data-role": "choices" });
      set.appendChild(el("legend", { class: "sr-only" }, label));
      (field ? field.choices : []).forEach(function (pairs, index) {
        var id = "b" + node.id + "-choice" + index;
        var wrap = el("label", { class: "check", for: id });
        var box_ = el("input", { type: "checkbox", id: id, value: pairs[0], "data-role": "choice" });
        box_.checked = chosen.indexOf(pairs[0]) !== -1;
        wrap.appendChild(box_);
        wrap.appendChild(document.createTextNode(pairs[1]));
        set.appendChild(wrap);
      });
      box.appendChild(set);
    }
    return box;
  }

  function paramInputs(node) {
    var field = fields[node.field];
    var box = el("span", { class: "params" });
    (field ? field.params : []).forEach(function (param) {
      var id = "b" + node.id + "-param-" + param.name;
      var wrap = el("label", { class: "param", for: id });
      wrap.appendChild(el("span", { class: "param-label" }, param.label + (param.required ? "" : " (" + words.optional + ")")));
      var current = node.params[param.name];
      var control;
      if (param.choices) {
        control = el("select", { id: id, "data-role": "param", "data-param": param.name });
        if (!param.required) control.appendChild(option("", "—", !current));
        param.choices.forEach(function (pairs) {
          control.appendChild(option(pairs[0], pairs[1], String(current) === pairs[0]));
        });
      } else {
        control = el("input", {
          id: id, type: param.days ? "number" : "text", "data-role": "param", "data-param": param.name,
          value: current === null || current === undefined ? "" : String(current)
        });
        if (param.days) { control.min = 0; control.max = 3660; control.step = 1; control.className = "days"; }
      }
      wrap.appendChild(control);
      box.appendChild(wrap);
    });
    return box;
  }

  function notToggle(node, label) {
    var id = "b" + node.id + "-not";
    var wrap = el("label", { class: "check not-toggle", for: id, title: label });
    var box = el("input", { type: "checkbox", id: id, "data-role": "negate" });
    box.checked = node.negate;
    wrap.appendChild(box);
    wrap.appendChild(document.createTextNode(words.not));
    return wrap;
  }

  function errorList(path, kind) {
    return el("ul", { class: "errorlist", "data-errors": path, "data-kind": kind, hidden: true });
  }

  function renderCondition(node, basePath, number) {
    var path = node.negate ? join(basePath, "not") : basePath;
    var label = words.condition + " " + number;
    var row = el("div", { class: "cond" + (node.negate ? " negated" : ""), role: "group", "aria-label": label, "data-node": node.id });
    var line = el("div", { class: "cond-line" });
    var main = el("div", { class: "cond-main" });
    main.appendChild(fieldSelect(node));
    if (node.field) {
      main.appendChild(operatorSelect(node));
      main.appendChild(operandInputs(node, words.value));
      main.appendChild(paramInputs(node));
    }
    line.appendChild(main);
    var tools = el("span", { class: "cond-tools" });
    tools.appendChild(notToggle(node, label));
    tools.appendChild(el("button", { type: "button", class: "btn btn-secondary btn-small", "data-role": "remove", id: "b" + node.id + "-remove", "aria-label": words.remove + ": " + label }, words.remove));
    line.appendChild(tools);
    row.appendChild(line);
    row.appendChild(errorList(path, "cond"));
    return row;
  }

  function renderGroup(node, basePath, isRoot, number) {
    var path = node.negate ? join(basePath, "not") : basePath;
    var label = isRoot ? words.conditions : words.group + " " + number;
    var box = el("fieldset", { class: "group" + (isRoot ? " root" : "") + (node.negate ? " negated" : ""), "data-node": node.id });
    box.appendChild(el("legend", { class: "sr-only" }, label));
    var head = el("div", { class: "group-head" });
    var mode = el("select", { id: "b" + node.id + "-mode", "data-role": "mode", "aria-label": label });
    mode.appendChild(option("all", words.all, node.mode === "all"));
    mode.appendChild(option("any", words.any, node.mode === "any"));
    head.appendChild(mode);
    head.appendChild(notToggle(node, label));
    if (!isRoot) {
      head.appendChild(el("button", { type: "button", class: "btn btn-secondary btn-small", "data-role": "remove", id: "b" + node.id + "-remove", "aria-label": words.removeGroup + ": " + label }, words.removeGroup));
    }
    box.appendChild(head);
    box.appendChild(errorList(path, "group"));
    var body = el("div", { class: "group-body" });
    if (!node.children.length) body.appendChild(el("p", { class: "muted small" }, isRoot ? words.empty : words.emptyGroup));
    var counter = 0;
    node.children.forEach(function (child, index) {
      if (index > 0) body.appendChild(el("div", { class: "connector", "aria-hidden": "true" }, node.mode === "all" ? words.and : words.or));
      var childPath = join(path, node.mode + "." + index);
      counter += 1;
      body.appendChild(child.type === "group"
        ? renderGroup(child, childPath, false, (number ? number + "." : "") + counter)
        : renderCondition(child, childPath, (number ? number + "." : "") + counter));
    });
    box.appendChild(body);
    var actions = el("div", { class: "group-actions" });
    actions.appendChild(el("button", { type: "button", class: "btn btn-secondary btn-small", "data-role": "add-condition", id: "b" + node.id + "-add-condition" }, words.addCondition));
    actions.appendChild(el("button", { type: "button", class: "btn btn-secondary btn-small", "data-role": "add-group", id: "b" + node.id + "-add-group" }, words.addGroup));
    box.appendChild(actions);
    return box;
  }

  var lastErrors = serverErrors || {};

  function render(focusId) {
    var active = focusId || (document.activeElement && root.contains(document.activeElement) ? document.activeElement.id : null);
    root.textContent = "";
    root.appendChild(renderGroup(model, "", true, ""));
    showErrors(lastErrors);
    if (active) {
      var target = document.getElementById(active);
      if (target) target.focus();
    }
  }

  function showErrors(errors) {
    lastErrors = errors || {};
    root.querySelectorAll("ul[data-errors]").forEach(function (list) {
      var path = list.getAttribute("data-errors");
      var kind = list.getAttribute("data-kind");
      var messages = [];
      Object.keys(lastErrors).forEach(function (key) {
        var mine;
        if (kind === "group") {
          mine = key === path || key === join(path, "all") || key === join(path, "any");
        } else {
          var rest = path && key.indexOf(path + ".") === 0 ? key.slice(path.length + 1) : null;
          mine = key === path || (rest !== null && rest.indexOf(".") === -1 && !/^\d+$/.test(rest) && rest !== "not");
        }
        if (mine) messages = messages.concat(lastErrors[key]);
      });
      list.textContent = "";
      messages.forEach(function (message) { list.appendChild(el("li", {}, message)); });
      list.hidden = !messages.length;
      var owner = list.parentNode;
      if (owner) owner.classList.toggle("has-error", messages.length > 0);
    });
  }

  // --- finding nodes -----------------------------------------------------------------------------

  function find(id, node, parent) {
    node = node || model;
    if (node.id === id) return { node: node, parent: parent || null };
    if (node.type === "group") {
      for (var i = 0; i < node.children.length; i++) {
        var hit = find(id, node.children[i], node);
        if (hit) return hit;
      }
    }
    return null;
  }

  function owning(target) {
    var holder = target.closest("[data-node]");
    return holder ? find(Number(holder.getAttribute("data-node"))) : null;
  }

  // --- events -------------------------------------------------------------------------------------

  function changed(structural, focusId) {
    hidden.value = JSON.stringify(toJSON(model));
    if (structural) render(focusId);
    schedulePreview();
  }

  function readValue(node, target) {
    var operand = operandOf(node.op);
    if (operand === "number_range" || operand === "date_range") {
      var pair = Array.isArray(node.value) ? node.value.slice() : ["", ""];
      pair[Number(target.getAttribute("data-index"))] = target.value;
      node.value = pair;
    } else if (operand === "month") {
      node.value = target.value ? Number(target.value) : null;
    } else {
      node.value = target.value === "" ? null : target.value;
    }
  }

  root.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-role]");
    if (!button) return;
    var hit = owning(button);
    if (!hit) return;
    var role = button.getAttribute("data-role");
    if (role === "add-condition") {
      var fresh = makeCondition(null);
      hit.node.children.push(fresh);
      changed(true, "b" + fresh.id + "-field");
    } else if (role === "add-group") {
      var inner = makeCondition(null);
      var group = makeGroup(hit.node.mode === "all" ? "any" : "all", [inner]);
      hit.node.children.push(group);
      changed(true, "b" + inner.id + "-field");
    } else if (role === "remove" && hit.parent) {
      var siblings = hit.parent.children;
      var index = siblings.indexOf(hit.node);
      siblings.splice(index, 1);
      var next = siblings[Math.min(index, siblings.length - 1)];
      changed(true, next ? "b" + next.id + (next.type === "group" ? "-mode" : "-field") : "b" + hit.parent.id + "-add-condition");
    }
  });

  root.addEventListener("change", function (event) {
    var target = event.target;
    var hit = owning(target);
    if (!hit) return;
    var node = hit.node;
    var role = target.getAttribute("data-role");
    if (role === "field") {
      resetCondition(node, target.value);
      changed(true, target.id);
    } else if (role === "op") {
      var before = operandOf(node.op);
      node.op = target.value;
      if (operandOf(node.op) !== before) node.value = null;
      changed(true, target.id);
    } else if (role === "mode") {
      node.mode = target.value;
      changed(true, target.id);
    } else if (role === "negate") {
      node.negate = target.checked;
      changed(true, target.id);
    } else if (role === "choice") {
      var set = target.closest("fieldset");
      node.value = Array.prototype.filter.call(set.querySelectorAll("input[data-role=choice]"), function (box) {
        return box.checked;
      }).map(function (box) { return box.value; });
      if (!node.value.length) node.value = null;
      changed(false);
    } else if (role === "value") {
      readValue(node, target);
      changed(false);
    } else if (role === "param") {
      node.params[target.getAttribute("data-param")] = target.value;
      changed(false);
    }
  });

  root.addEventListener("input", function (event) {
    var target = event.target;
    var role = target.getAttribute("data-role");
    if (target.tagName !== "INPUT" || (role !== "value" && role !== "param")) return;
    var hit = owning(target);
    if (!hit) return;
    if (role === "value") readValue(hit.node, target);
    else hit.node.params[target.getAttribute("data-param")] = target.value;
    changed(false);
  });

  form.addEventListener("submit", function () {
    hidden.value = JSON.stringify(toJSON(model));
  });

  // --- live count ----------------------------------------------------------------------------------

  var countBox = document.getElementById("preview-count");
  var statusBox = document.getElementById("preview-status");
  var membersBox = document.getElementById("preview-members");
  var previewUrl = root.getAttribute("data-preview-url");
  var timer = null;
  var sequence = 0;

  function schedulePreview() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(runPreview, 400);
  }

  function setStatus(text) {
    statusBox.textContent = text || "";
  }

  function runPreview() {
    timer = null;
    var mine = ++sequence;
    var body = new FormData();
    body.append("definition", hidden.value);
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    document.getElementById("preview").classList.add("busy");
    setStatus(words.counting);
    fetch(previewUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "", "X-Requested-With": "fetch" }
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then(function (data) {
      if (mine !== sequence) return;
      document.getElementById("preview").classList.remove("busy");
      showErrors(data.errors);
      if (Object.keys(data.errors || {}).length) {
        countBox.classList.add("stale");
        setStatus(words.fix);
        return;
      }
      countBox.classList.remove("stale");
      countBox.textContent = data.count_text;
      setStatus("");
      membersBox.textContent = "";
      if (!data.members.length) membersBox.appendChild(el("li", { class: "muted" }, words.noMembers));
      data.members.forEach(function (member) {
        var item = el("li");
        item.appendChild(el("a", { href: member.url }, member.name));
        // The address on a line of its own, cut with an ellipsis rather than mid-word (the
        // whole address in its tooltip).
        if (member.email && member.email !== member.name) item.appendChild(el("span", { class: "muted small member-email", title: member.email }, member.email));
        membersBox.appendChild(item);
      });
    }).catch(function () {
      if (mine !== sequence) return;
      document.getElementById("preview").classList.remove("busy");
      setStatus(words.failed);
    });
  }

  hidden.value = JSON.stringify(toJSON(model));
  render();
  runPreview();
})();
