// Sorts a table by a column when its header is clicked (or Enter/Space on it): the
// first click puts the largest figure (or A) first for numbers (or text), the next
// click reverses. A cell sorts by its data-v (the figure at full precision) or its
// text; an empty figure sorts last either way. Ties keep their order.
(function () {
  "use strict";
  function value(cell, numeric) {
    var v = cell.getAttribute("data-v");
    if (v === null) { v = cell.textContent; }
    if (!numeric) { return v.trim().toLowerCase(); }
    var n = parseFloat(v);
    return isNaN(n) ? null : n;
  }
  function sort(table, th, index) {
    var numeric = th.getAttribute("data-type") === "num";
    var current = th.getAttribute("aria-sort");
    var first = numeric ? "descending" : "ascending";
    var dir = current === first ? (first === "ascending" ? "descending" : "ascending") : first;
    var sign = dir === "ascending" ? 1 : -1;
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).map(function (row, i) {
      return { row: row, key: value(row.cells[index], numeric), i: i };
    });
    rows.sort(function (a, b) {
      if (a.key === null || b.key === null) {
        return (a.key === null) - (b.key === null) || a.i - b.i;
      }
      var c = a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
      return c * sign || a.i - b.i;
    });
    var fragment = document.createDocumentFragment();
    rows.forEach(function (r) { fragment.appendChild(r.row); });
    body.appendChild(fragment);
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) {
      cell.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", dir);
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      if (!th.hasAttribute("data-type")) { return; }
      th.addEventListener("click", function () { sort(table, th, index); });
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(table, th, index); }
      });
    });
  });
})();
