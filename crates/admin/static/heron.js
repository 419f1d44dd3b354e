// Heron admin pages: every action goes through the JSON API (/api/v1).
//
// <form data-api="URL" data-method="POST|PUT|PATCH|DELETE"> sends its fields as JSON:
//   checkbox -> boolean; data-json="number" -> number (empty: left out);
//   checkboxes sharing one name, each with data-json="checked-list" -> array of the ticked
//   boxes' values, in page order (an empty array when none is ticked);
//   data-json="lines" -> array of non-empty lines; data-omit-empty -> left out when empty;
//   data-suffix="@domain" is appended to a value without "@"; data-local fields stay here.
//   A form with data-rows sends an array: one object per [data-row] element (rows whose
//   [data-remove] box is ticked, or whose data-row-key field is empty, are left out).
// <button type="button" data-api="URL" data-method="..."> sends no body (data-body='{"json":1}' for one).
// data-confirm asks first; data-redirect="/path/{field}" goes there after success
// ({field} from the response or the form), else the page reloads.
// Errors {"error", "field"} are shown next to the field ([data-error-for=field]) or in the
// form's [data-form-error] element.
(function () {
  "use strict";

  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }

  function fieldValue(el) {
    if (el.type === "checkbox") return el.checked;
    var kind = el.getAttribute("data-json");
    if (kind === "number") {
      if (el.value.trim() === "") return undefined;
      var n = Number(el.value);
      return isNaN(n) ? el.value : n;
    }
    if (kind === "lines") {
      return el.value.split(/\r?\n|,/).map(function (s) { return s.trim(); })
        .filter(function (s) { return s !== ""; });
    }
    if (el.hasAttribute("data-omit-empty") && el.value === "") return undefined;
    var suffix = el.getAttribute("data-suffix");
    if (suffix && el.value !== "" && el.value.indexOf("@") < 0) return el.value + suffix;
    return el.value;
  }

  function collect(scope) {
    var body = {};
    scope.querySelectorAll("[name]").forEach(function (el) {
      if (el.disabled || el.hasAttribute("data-local") || el.hasAttribute("data-remove")) return;
      if (el.type === "radio" && !el.checked) return;
      if (el.type === "checkbox" && el.getAttribute("data-json") === "checked-list") {
        if (!Array.isArray(body[el.name])) body[el.name] = [];
        if (el.checked) body[el.name].push(el.value);
        return;
      }
      var v = fieldValue(el);
      if (v !== undefined) body[el.name] = v;
    });
    return body;
  }

  function formBody(form) {
    if (form.hasAttribute("data-rows")) {
      var rows = [];
      form.querySelectorAll("[data-row]").forEach(function (row) {
        var rm = row.querySelector("[data-remove]");
        if (rm && rm.checked) return;
        var o = collect(row);
        var key = row.getAttribute("data-row-key");
        if (key && (o[key] === undefined || o[key] === "")) return;
        var empty = Object.keys(o).every(function (k) { return o[k] === "" || o[k] === false; });
        if (!empty) rows.push(o);
      });
      return rows;
    }
    return collect(form);
  }

  function clearErrors(scope) {
    scope.querySelectorAll("[data-error-for], [data-form-error]").forEach(function (e) {
      e.textContent = "";
    });
    scope.querySelectorAll("[aria-invalid]").forEach(function (e) {
      e.removeAttribute("aria-invalid");
    });
  }

  function fieldTarget(scope, field) {
    // "rows[2].address" or "listeners[2].address" point into the third row.
    var m = /^\w+\[(\d+)\]\.(\w+)$/.exec(field);
    if (m) {
      var rows = Array.prototype.filter.call(scope.querySelectorAll("[data-row]"), function (row) {
        var rm = row.querySelector("[data-remove]");
        return !(rm && rm.checked);
      });
      var row = rows[Number(m[1])];
      if (row) return { scope: row, name: m[2] };
    }
    return { scope: scope, name: field };
  }

  function showError(scope, err) {
    var shown = false;
    if (err.field) {
      var t = fieldTarget(scope, err.field);
      var slot = t.scope.querySelector('[data-error-for="' + t.name + '"]');
      var input = t.scope.querySelector('[name="' + t.name + '"]');
      if (input) input.setAttribute("aria-invalid", "true");
      if (slot) {
        slot.textContent = err.error;
        shown = true;
      }
    }
    if (!shown) {
      var box = scope.querySelector("[data-form-error]") ||
        document.querySelector("[data-page-error]");
      if (box) box.textContent = err.error;
      else window.alert(err.error);
    }
  }

  // `{name}` takes a value from the answer (or a field of the form); `{name|one|many}` is
  // the value with its noun, singular for 1 ("{delivered|mailbox|mailboxes}").
  function fill(template, data, scope) {
    template = template.replace(/\{(\w+)\|([^|}]*)\|([^}]*)\}/g, function (_, k, one, many) {
      var n = data && data[k] !== undefined ? Number(data[k]) : NaN;
      return isNaN(n) ? "" : n + " " + (n === 1 ? one : many);
    });
    return template.replace(/\{(\w+)\}/g, function (_, k) {
      if (data && data[k] !== undefined) return encodeURIComponent(data[k]);
      var el = scope && scope.querySelector('[name="' + k + '"]');
      return el ? encodeURIComponent(el.value) : "";
    });
  }

  async function send(el, url, method, body) {
    var headers = { "X-CSRF-Token": csrf() };
    var init = { method: method, headers: headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    var res = await fetch(url, init);
    var data = null;
    var type = res.headers.get("Content-Type") || "";
    if (type.indexOf("application/json") === 0) data = await res.json();
    if (!res.ok) {
      if (res.status === 401 && el.getAttribute("data-api") !== "/api/v1/session") {
        window.location.assign("/login");
        return null;
      }
      throw data && data.error ? data : { error: "the server answered " + res.status };
    }
    return data || {};
  }

  // A new API token: its row joins the list at once (a copy of the table's first row when
  // there is one, else a new one), and the one-time secret appears below the form.
  function showToken(data) {
    var table = document.querySelector('table[data-list="tokens"]');
    if (table) {
      var row = document.createElement("tr");
      row.setAttribute("data-scope", "");
      row.setAttribute("data-token-row", "");
      var name = document.createElement("td");
      name.textContent = data.name || "";
      var created = document.createElement("td");
      created.textContent = "just now";
      var actions = document.createElement("td");
      var revoke = document.createElement("button");
      revoke.type = "button";
      revoke.className = "danger";
      revoke.textContent = "Revoke";
      revoke.setAttribute("data-api", "/api/v1/tokens/" + data.id);
      revoke.setAttribute("data-method", "DELETE");
      revoke.setAttribute("data-confirm", "Revoke " + (data.name || "") + "?");
      var err = document.createElement("p");
      err.setAttribute("data-form-error", "");
      err.setAttribute("role", "alert");
      actions.appendChild(revoke);
      actions.appendChild(err);
      row.appendChild(name);
      row.appendChild(created);
      row.appendChild(actions);
      (table.tBodies[0] || table).appendChild(row);
    }
    var box = document.querySelector("[data-token-box]");
    if (box) {
      box.querySelector("[data-token-name]").textContent = data.name || "";
      box.querySelector("[data-token-out]").textContent = data.token || "";
      box.hidden = false;
    }
  }

  // The answer of "test a message": weight, level, action and one row per check that fired.
  function showVerdict(data) {
    var box = document.querySelector("[data-verdict]");
    if (!box) return;
    box.querySelector("[data-verdict-weight]").textContent = String(data.weight);
    box.querySelector("[data-verdict-level]").textContent = data.level || "";
    box.querySelector("[data-verdict-action]").textContent = data.action || "";
    var body = box.querySelector("[data-verdict-hits]");
    body.textContent = "";
    (data.hits || []).forEach(function (h) {
      var row = document.createElement("tr");
      [h.check, String(h.weight), h.detail].forEach(function (t) {
        var cell = document.createElement("td");
        cell.textContent = t;
        row.appendChild(cell);
      });
      body.appendChild(row);
    });
    var silent = (data.unanswered || []).map(function (u) { return u.check + " (" + u.why + ")"; });
    box.querySelector("[data-verdict-unanswered]").textContent =
      silent.length ? "No answer from: " + silent.join(", ") : "";
    box.querySelector("[data-verdict-auth]").textContent = data.authentication_results || "";
    box.hidden = false;
  }

  async function run(el, scope, body) {
    if (el.hasAttribute("data-confirm") && !window.confirm(el.getAttribute("data-confirm"))) return;
    clearErrors(scope);
    var url = fill(el.getAttribute("data-api"), null, scope);
    var method = (el.getAttribute("data-method") || "POST").toUpperCase();
    var submit = scope.querySelectorAll("button");
    submit.forEach(function (b) { b.disabled = true; });
    try {
      var data = await send(el, url, method, body);
      if (data === null) return;
      var after = el.getAttribute("data-after");
      if (after === "login") {
        window.location.assign(data.must_change_password ? "/password" : "/");
        return;
      }
      if (after === "show-verdict") {
        showVerdict(data);
        submit.forEach(function (b) { b.disabled = false; });
        return;
      }
      if (after === "show-token") {
        showToken(data);
        scope.reset();
        submit.forEach(function (b) { b.disabled = false; });
        return;
      }
      var done = el.getAttribute("data-done");
      if (done) {
        var msg = scope.querySelector("[data-form-ok]") || document.querySelector("[data-page-ok]");
        if (msg) msg.textContent = fill(done, data, scope);
        submit.forEach(function (b) { b.disabled = false; });
        return;
      }
      var to = el.getAttribute("data-redirect");
      if (to) window.location.assign(fill(to, data, scope));
      else window.location.reload();
    } catch (err) {
      showError(scope, err && err.error ? err : { error: String(err) });
      submit.forEach(function (b) { b.disabled = false; });
    }
  }

  // A file chosen in `input[data-file-into=NAME]` fills the field NAME of its form.
  document.addEventListener("change", function (ev) {
    var input = ev.target;
    var into = input.getAttribute && input.getAttribute("data-file-into");
    if (!into || !input.files || !input.files[0]) return;
    var field = input.form && input.form.querySelector('[name="' + into + '"]');
    if (!field) return;
    input.files[0].text().then(function (t) { field.value = t; });
  });

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.hasAttribute("data-api")) return;
    ev.preventDefault();
    var match = form.querySelector("[data-match]");
    if (match) {
      var other = form.querySelector('[name="' + match.getAttribute("data-match") + '"]');
      if (other && other.value !== match.value) {
        clearErrors(form);
        showError(form, { field: match.name || match.getAttribute("data-name"), error: "the two passwords differ" });
        return;
      }
    }
    var body = formBody(form);
    var method = (form.getAttribute("data-method") || "POST").toUpperCase();
    run(form, form, method === "DELETE" ? undefined : body);
  });

  document.addEventListener("click", function (ev) {
    var el = ev.target.closest("button[data-api]");
    if (el && el.getAttribute("type") === "button") {
      ev.preventDefault();
      var raw = el.getAttribute("data-body");
      var scope = el.closest("[data-scope]") || el.parentElement || document.body;
      run(el, scope, raw ? JSON.parse(raw) : undefined);
      return;
    }
    var toggle = ev.target.closest("[data-theme-toggle]");
    if (toggle) {
      var root = document.documentElement;
      var now = root.getAttribute("data-theme");
      var dark = now === "dark" ||
        (now === "auto" && window.matchMedia("(prefers-color-scheme: dark)").matches);
      var next = dark ? "light" : "dark";
      root.setAttribute("data-theme", next);
      document.cookie = "heron_theme=" + next + "; Path=/; Max-Age=31536000; SameSite=Strict";
    }
  });
})();
