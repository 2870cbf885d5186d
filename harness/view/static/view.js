// Filters for the episode table, and unfolding every tool call of a conversation. The page works
// without this script: it only hides rows and opens <details>.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#episode-table tbody tr"));
  var shown = document.getElementById("shown");
  function value(name) {
    var field = form.elements.namedItem(name);
    return field ? field.value.trim() : "";
  }
  function matchesCriterion(row, id, verdict) {
    if (!id && !verdict) { return true; }
    return row.dataset.criteria.trim().split(" ").some(function (token) {
      var cut = token.lastIndexOf(":");
      var name = token.slice(0, cut), found = token.slice(cut + 1);
      return (!id || name.indexOf(id) !== -1) && (!verdict || found === verdict);
    });
  }
  function apply() {
    var task = value("task").toLowerCase(), run = value("run"), category = value("category");
    var outcome = value("outcome"), tool = value("tool"), criterion = value("criterion"), verdict = value("verdict");
    var count = 0;
    rows.forEach(function (row) {
      var ok = (!task || row.dataset.task.toLowerCase().indexOf(task) !== -1) &&
        (!run || row.dataset.run === run) && (!category || row.dataset.category === category) &&
        (!outcome || row.dataset.outcome === outcome) &&
        (!tool || row.dataset.tools.indexOf(" " + tool + " ") !== -1) &&
        matchesCriterion(row, criterion, verdict);
      row.hidden = !ok;
      if (ok) { count += 1; }
    });
    shown.textContent = count + " of " + rows.length + " episodes";
  }
  if (form) {
    form.addEventListener("input", apply);
    form.addEventListener("submit", function (event) { event.preventDefault(); });
  }
  document.querySelectorAll("button.unfold").forEach(function (button) {
    button.addEventListener("click", function () {
      var list = document.getElementById(button.getAttribute("aria-controls"));
      var calls = list.querySelectorAll("details.call");
      var open = Array.prototype.some.call(calls, function (d) { return !d.open; });
      calls.forEach(function (d) { d.open = open; });
      button.textContent = open ? "Fold every tool call" : "Unfold every tool call";
    });
  });
}());
