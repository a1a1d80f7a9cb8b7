/* The sender picker of the incoming register form: as the clerk types, the <datalist> is filled
   with the organisations that match (name, abbreviation or code; accents optional), and the hidden
   sender_id is set when the typed name is one of them. Without this script the form still works:
   the typed name is sent as sender_name. */
(function () {
  "use strict";
  var input = document.getElementById("sender_name");
  var list = document.getElementById("org-options");
  var hidden = document.getElementById("sender_id");
  if (!input || !list || !hidden) { return; }
  var source = input.getAttribute("data-source");
  var known = {};
  var timer = null;
  var lastQuery = null;

  function fold(text) {
    return (text || "").replace(/[đĐ]/g, "d").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .toLowerCase().replace(/\s+/g, " ").trim();
  }

  function remember(id, name) { known[name] = String(id); }

  Array.prototype.forEach.call(list.options, function (option) {
    if (option.getAttribute("data-id")) { remember(option.getAttribute("data-id"), option.value); }
  });

  function sync() {
    var id = known[input.value];
    hidden.value = id || "";
  }

  function fill(items) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    items.forEach(function (org) {
      var option = document.createElement("option");
      option.value = org.name;
      // the folded name in the label lets the browser offer "Sở Nội vụ" for "so noi vu"
      option.label = [org.abbr, org.code, fold(org.name)].filter(Boolean).join(" · ");
      list.appendChild(option);
      remember(org.id, org.name);
    });
    sync();
  }

  function lookup() {
    var q = input.value.trim();
    if (!source || q === lastQuery) { return; }
    lastQuery = q;
    fetch(source + "?q=" + encodeURIComponent(q), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : {items: []}; })
      .then(function (data) { if (q === lastQuery) { fill(data.items || []); } })
      .catch(function () { /* offline or logged out: the typed name is still sent */ });
  }

  input.addEventListener("input", function () {
    sync();
    window.clearTimeout(timer);
    timer = window.setTimeout(lookup, 200);
  });
  input.addEventListener("change", sync);
}());
