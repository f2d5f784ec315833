/* Capdesk console: keyboard shortcuts, macros into the reply box, and who else is here.
   Plain script, no library: every page works without it; this only saves keystrokes. */
(function () {
  "use strict";

  var LIST_KEY = "capdesk.console.list";

  function csrf() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  /* The list page remembers its order, so j/k on a ticket page go to the next one in it.
     The rows are looked up on each key press: a filter or "Show more" may have redrawn them. */
  function listRows() {
    return Array.prototype.slice.call(document.querySelectorAll("tr[data-href]"));
  }
  var initial = listRows();
  if (initial.length) {
    try {
      sessionStorage.setItem(LIST_KEY, JSON.stringify(initial.map(function (r) { return r.getAttribute("data-href"); })));
    } catch (e) { /* storage off: j/k still work on the list itself */ }
  }

  function select(rows, delta) {
    var current = rows.findIndex(function (r) { return r.classList.contains("current"); });
    if (current >= 0) { rows[current].classList.remove("current"); }
    var next = Math.max(0, Math.min(rows.length - 1, current + delta));
    rows[next].classList.add("current");
    var link = rows[next].querySelector("a");
    if (link) { link.focus(); }
  }

  function step(delta) {
    var rows = listRows();
    if (rows.length) { select(rows, delta); return; }
    var list;
    try { list = JSON.parse(sessionStorage.getItem(LIST_KEY) || "[]"); } catch (e) { list = []; }
    var here = list.indexOf(window.location.pathname);
    var next = list[here + delta];
    if (here >= 0 && next) { window.location.assign(next); }
  }

  function reply(internal) {
    var body = document.getElementById("id_body");
    var box = document.getElementById("id_internal");
    if (!body) { return; }
    if (box) { box.checked = internal; }
    body.focus();
  }

  function search() {
    var q = document.getElementById("q");
    if (q) { q.focus(); q.select(); return; }
    var brand = document.querySelector(".brand");
    if (brand) { window.location.assign(brand.getAttribute("href") + "#q"); }
  }

  if (window.location.hash === "#q") {
    var q = document.getElementById("q");
    if (q) { q.focus(); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (typing(event.target)) {
      if (event.key === "Escape") { event.target.blur(); }
      return;
    }
    var take = document.getElementById("take");
    switch (event.key) {
      case "j": step(1); break;
      case "k": step(-1); break;
      case "r": reply(false); break;
      case "n": reply(true); break;
      case "a": if (take) { take.submit(); } break;
      case "/": search(); break;
      default: return;
    }
    event.preventDefault();
  });

  /* Macros: fetch the filled-in text and put it where the cursor is, instead of reloading. */
  var macroForm = document.getElementById("macro-form");
  if (macroForm) {
    macroForm.addEventListener("submit", function (event) {
      var body = document.getElementById("id_body");
      var key = macroForm.querySelector("select[name=macro]").value;
      if (!body || !window.fetch) { return; }
      event.preventDefault();
      fetch(macroForm.getAttribute("data-url") + "?macro=" + encodeURIComponent(key), { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) {
          var start = body.selectionStart || 0, end = body.selectionEnd || 0;
          body.value = body.value.slice(0, start) + data.body + body.value.slice(end);
          body.focus();
          body.selectionStart = body.selectionEnd = start + data.body.length;
          /* Say which language went in (the ticket's, or English when the macro has no text in it). */
          var language = document.getElementById("macro-language");
          if (language) {
            language.textContent = data.language_notice || "";
            language.hidden = !data.language_notice;
          }
          /* Say which placeholders this ticket had no value for, as the page without the script does. */
          var left = document.getElementById("macro-unfilled"), names = data.unfilled || [];
          if (left) {
            left.textContent = names.length ? left.getAttribute("data-text").replace("{names}", names.map(function (n) { return "{" + n + "}"; }).join(", ")) +
              (names.some(function (n) { return n.indexOf("incident_") === 0; }) ? " " + left.getAttribute("data-incident") : "") : "";
            left.hidden = !names.length;
          }
        })
        .catch(function () { macroForm.submit(); });
    });
  }

  /* Presence: say every few seconds that this agent is here (and typing), show who else is. */
  var notice = document.getElementById("presence");
  if (notice && window.fetch) {
    var body = document.getElementById("id_body");
    var render = function (others) {
      notice.textContent = others.map(function (o) {
        return (o.replying ? notice.getAttribute("data-replying") : notice.getAttribute("data-viewing")).replace("{name}", o.name);
      }).join(" ");
      notice.hidden = others.length === 0;
    };
    var poll = function () {
      var form = new FormData();
      form.append("replying", body && (body.value.trim() || document.activeElement === body) ? "1" : "0");
      fetch(notice.getAttribute("data-url"), {
        method: "POST", body: form, credentials: "same-origin", headers: { "X-CSRFToken": csrf() }
      })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          render(data.others);
          window.setTimeout(poll, (data.poll_seconds || 15) * 1000);
        })
        .catch(function () { window.setTimeout(poll, 30000); });
    };
    window.setTimeout(poll, 1000);
  }
})();
