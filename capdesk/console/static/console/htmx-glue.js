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
  });

  /* The list's rows were redrawn by a filter: the ticket pages' j / k follow the new order. */
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail.target || event.detail.target.id !== "ticket-rows") { return; }
    var rows = document.querySelectorAll("#ticket-rows tr[data-href]");
    var hrefs = Array.prototype.map.call(rows, function (r) { return r.getAttribute("data-href"); });
    try { sessionStorage.setItem("capdesk.console.list", JSON.stringify(hrefs)); } catch (e) { /* storage off */ }
  });
})();
