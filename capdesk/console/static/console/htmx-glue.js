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
})();
