/* lyganalysis report pages: sortable and filterable tables, folded details opened for printing.
   No network, no library; the page reads the same with scripts off. */
(function () {
  "use strict";
  function cellValue(td) {
    var v = td.getAttribute("data-value");
    if (v !== null && v !== "" && !isNaN(parseFloat(v))) { return parseFloat(v); }
    return (td.textContent || "").trim();
  }
  function sortBy(table, col, th) {
    var body = table.tBodies[0]; if (!body) { return; }
    var asc = !th.classList.contains("sorted-asc");
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.classList.remove("sorted-asc", "sorted-desc"); });
    th.classList.add(asc ? "sorted-asc" : "sorted-desc");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a.cells[col]), y = cellValue(b.cells[col]);
      if (typeof x === "number" && typeof y === "number") { return asc ? x - y : y - x; }
      if (typeof x === "number") { return -1; } if (typeof y === "number") { return 1; }
      return asc ? String(x).localeCompare(String(y), "zh") : String(y).localeCompare(String(x), "zh");
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  function addFilter(table) {
    var box = document.createElement("div"); box.className = "lyg-filter-box";
    var input = document.createElement("input"); input.type = "search";
    input.placeholder = document.documentElement.lang === "en" ? "Filter rows…" : "筛选（输入学校名称等）…";
    box.appendChild(input); table.parentNode.insertBefore(box, table);
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
        r.style.display = !q || (r.textContent || "").toLowerCase().indexOf(q) >= 0 ? "" : "none";
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("table.lyg-sortable"), function (table) {
      if (!table.tHead) { return; }
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
        th.addEventListener("click", function () { sortBy(table, i, th); });
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll("table.lyg-filter"), addFilter);
  });
  var opened = [];
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details:not([open])"), function (d) { d.open = true; opened.push(d); });
  });
  window.addEventListener("afterprint", function () { opened.forEach(function (d) { d.open = false; }); opened = []; });
})();
