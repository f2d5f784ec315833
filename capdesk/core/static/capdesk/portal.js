/* Capgo Support portal: suggest knowledge base articles while a customer writes a request.
   The page works without this script (the side panel has its own search form). */
(function () {
  "use strict";
  var panel = document.getElementById("kb-panel");
  var list = document.getElementById("kb-suggestions");
  var subject = document.getElementById("id_subject");
  var body = document.getElementById("id_body");
  if (!panel || !list || !window.fetch || (!subject && !body)) { return; }
  var timer = null, last = "";

  function show(articles) {
    if (!articles.length) { return; }
    list.textContent = "";
    articles.forEach(function (a) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = a.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = a.title;
      item.appendChild(link);
      list.appendChild(item);
    });
  }

  function lookup() {
    var text = ((subject && subject.value) || "") + " " + ((body && body.value) || "");
    text = text.trim().slice(0, 2000);
    if (text.length < 4 || text === last) { return; }
    last = text;
    fetch(panel.getAttribute("data-url") + "?q=" + encodeURIComponent(text), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { articles: [] }; })
      .then(function (data) { show(data.articles || []); })
      .catch(function () { /* suggestions are a help, never in the way */ });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(lookup, 350);
  }
  if (subject) { subject.addEventListener("input", later); }
  if (body) { body.addEventListener("input", later); }
})();

/* Portal forms: say at once that a chosen file is over the attachment limit, before it is sent.
   Only a hint: the server checks the same limit and sends the form back with the text kept. */
(function () {
  "use strict";
  var inputs = document.querySelectorAll("input[type=file][data-max-bytes]");
  Array.prototype.forEach.call(inputs, function (input) {
    var max = parseInt(input.getAttribute("data-max-bytes"), 10);
    var message = input.getAttribute("data-too-large") || "";
    input.addEventListener("change", function () {
      var big = Array.prototype.filter.call(input.files || [], function (f) { return f.size > max; })[0];
      input.setCustomValidity(big ? message.replace("{name}", big.name) : "");
      if (big) { input.reportValidity(); }
    });
  });
})();
