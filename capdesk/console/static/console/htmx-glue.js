/* Capdesk console with htmx: what the attributes in the templates cannot say by themselves.
   Every form works without this file (and without htmx): they post and the page reloads. */
(function () {
  "use strict";
  /* A reply or note the server accepted is on the page now: empty the box for the next one. */
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form || form.id !== "reply" || !event.detail.successful) { return; }
    if (event.detail.xhr && event.detail.xhr.getResponseHeader("HX-Retarget")) { return; }
    form.reset();
    var body = form.querySelector("textarea");
    if (body) { body.value = ""; }
    var errors = document.getElementById("reply-errors");
    if (errors) { errors.textContent = ""; }
    /* What the box said about an inserted macro was about the text just sent. */
    ["macro-language", "macro-unfilled"].forEach(function (id) {
      var notice = document.getElementById(id);
      if (notice) { notice.textContent = ""; notice.hidden = true; }
    });
  });

  /* A change the side panel refused (an assignee who may not have the ticket) answers 400
     with the panel and the reason; htmx leaves 4xx answers unswapped, so it is let in here,
     as the page without JavaScript shows the same reason. */
  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.detail.elt;
    if (event.detail.xhr.status !== 400 || !elt || !elt.closest || !elt.closest("#ticket-facts")) { return; }
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  });

  /* "Show more" replaces itself with the next rows: focus goes to the first of them, not
     back to the top of the page with the link that was removed. */
  var shownBefore = -1;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    shownBefore = elt && elt.closest && elt.closest("#more-rows")
      ? document.querySelectorAll("#ticket-rows tr[data-href]").length : -1;
  });

  /* The list's rows were redrawn by a filter or extended by "Show more": the ticket pages'
     j / k follow the new order. */
  document.addEventListener("htmx:afterSwap", function () {
    if (!document.getElementById("ticket-rows")) { return; }
    var rows = document.querySelectorAll("#ticket-rows tr[data-href]");
    if (shownBefore >= 0 && rows[shownBefore]) {
      var link = rows[shownBefore].querySelector("a");
      if (link) { link.focus(); }
    }
    shownBefore = -1;
    var hrefs = Array.prototype.map.call(rows, function (r) { return r.getAttribute("data-href"); });
    try { sessionStorage.setItem("capdesk.console.list", JSON.stringify(hrefs)); } catch (e) { /* storage off */ }
  });
})();
