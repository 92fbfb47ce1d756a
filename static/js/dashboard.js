/* The dashboard's charts, drawn by Chart.js from the data of each table (json_script).
 *
 * The page is complete without this file: every chart repeats a table that stays on the page
 * ("Voir les données"). Strict CSP: no inline script; the data is read from
 * <script type="application/json"> elements written by Django's json_script.
 */
(function () {
  "use strict";

  var PALETTE = ["#1f5fa8", "#c2410c", "#3f7d20", "#7a3e9d", "#8a6d00", "#0f766e"];

  function readData(id) {
    var node = document.getElementById(id);
    if (!node) { return null; }
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  function datasetsOf(spec) {
    return spec.datasets.map(function (dataset, index) {
      var color = PALETTE[index % PALETTE.length];
      var line = dataset.kind === "line" || spec.type === "line";
      // A reference drawn over bars (the legal delay of each structure): marks, not a line
      // between unrelated categories.
      var marks = dataset.kind === "line" && spec.type !== "line";
      return {
        type: line ? "line" : "bar",
        label: dataset.label,
        data: dataset.data,
        backgroundColor: line ? color : color + "cc",
        borderColor: color,
        borderWidth: line ? 2 : 1,
        pointRadius: marks ? 8 : (line ? 3 : 0),
        pointStyle: marks ? "line" : "circle",
        pointBorderWidth: marks ? 3 : 1,
        showLine: !marks,
        spanGaps: true,
        fill: false
      };
    });
  }

  function draw(holder) {
    var id = holder.getAttribute("data-chart");
    var spec = readData(id);
    if (!spec || !window.Chart) { return; }
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "presentation");
    holder.appendChild(canvas);
    var horizontal = Boolean(spec.horizontal);
    var chart = new window.Chart(canvas, {
      type: spec.type === "line" ? "line" : "bar",
      data: { labels: spec.labels, datasets: datasetsOf(spec) },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { position: "bottom" } },
        scales: {
          x: { stacked: Boolean(spec.stacked), beginAtZero: true },
          y: { stacked: Boolean(spec.stacked), beginAtZero: true }
        }
      }
    });
    holder.classList.add("dashboard-chart__canvas--drawn");
    return chart;
  }

  function drawAll(root) {
    var holders = (root || document).querySelectorAll("[data-chart]");
    for (var i = 0; i < holders.length; i += 1) {
      if (!holders[i].classList.contains("dashboard-chart__canvas--drawn")) { draw(holders[i]); }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  } else {
    drawAll(document);
  }
  document.addEventListener("htmx:afterSettle", function (event) { drawAll(event.target); });
})();
