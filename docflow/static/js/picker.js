/* The check-box pickers (templates/macros/picker.html): shows each picker's filter box and hides the
   entries whose label does not contain what is typed (accents and case ignored). Ticked entries stay
   visible. Without this script the boxes are still there and work; only the filter is missing. */
(function () {
  "use strict";

  function fold(text) {
    return (text || "").replace(/[đĐ]/g, "d").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .toLowerCase().replace(/\s+/g, " ").trim();
  }

  function setUp(picker) {
    var filter = picker.querySelector(".picker-filter");
    var list = picker.querySelector(".picker-list");
    if (!filter || !list) { return; }
    var items = Array.prototype.slice.call(list.querySelectorAll(".picker-item"));
    var keys = items.map(function (item) { return fold(item.textContent); });
    filter.hidden = false;

    function apply() {
      var wanted = fold(filter.value);
      var group = null;
      var groupShown = false;
      Array.prototype.forEach.call(list.children, function (child) {
        if (child.classList.contains("picker-group")) {
          if (group) { group.classList.toggle("picker-hidden", !groupShown); }
          group = child;
          groupShown = false;
          return;
        }
        var index = items.indexOf(child);
        if (index < 0) { return; }
        var box = child.querySelector("input");
        var shown = !wanted || keys[index].indexOf(wanted) >= 0 || (box && box.checked);
        child.classList.toggle("picker-hidden", !shown);
        groupShown = groupShown || shown;
      });
      if (group) { group.classList.toggle("picker-hidden", !groupShown); }
    }

    filter.addEventListener("input", apply);
    filter.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }  // never submits the form
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-picker]"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
