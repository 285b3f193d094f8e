// Charts of the customer-value screens, drawn with the vendored Chart.js.
// Each <canvas data-chart="ID"> reads its data from <script type="application/json" id="ID">
// (Django's json_script): no data is ever written into JavaScript source.
(function () {
  "use strict";
  var BRAND = "#0b6e4f";
  var BRAND_SOFT = "rgba(11, 110, 79, 0.15)";
  var lang = document.documentElement.lang || "es";
  var whole = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  var decimal = new Intl.NumberFormat(lang, { maximumFractionDigits: 2 });
  var compact = new Intl.NumberFormat(lang, { notation: "compact", maximumFractionDigits: 1 });
  var day = new Intl.DateTimeFormat(lang, { day: "numeric", month: "short", year: "2-digit" });

  function label(value, spec) {
    if (!spec.dates) return value;
    var parts = String(value).split("-");
    if (parts.length !== 3) return value;
    return day.format(new Date(Number(parts[0]), Number(parts[1]) - 1, Number(parts[2])));
  }

  // A dashed horizontal line at spec.reference (e.g. LTV:CAC = 3, "healthy").
  var referenceLine = {
    id: "referenceLine",
    afterDatasetsDraw: function (chart, _args, options) {
      if (options.value === undefined || options.value === null) return;
      var y = chart.scales.y.getPixelForValue(options.value);
      var area = chart.chartArea;
      if (y < area.top || y > area.bottom) return;
      var ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = "#b54708";
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      ctx.moveTo(area.left, y);
      ctx.lineTo(area.right, y);
      ctx.stroke();
      ctx.fillStyle = "#b54708";
      ctx.font = "12px system-ui, sans-serif";
      ctx.fillText(String(options.value), area.right - 14, y - 4);
      ctx.restore();
    }
  };

  function build(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || !window.Chart) return;
    var spec = JSON.parse(source.textContent);
    var isLine = spec.type === "line";
    var datasets = (spec.series || []).map(function (series) {
      return {
        label: series.label,
        data: series.data,
        borderColor: BRAND,
        backgroundColor: isLine ? BRAND_SOFT : BRAND,
        fill: isLine,
        tension: 0.25,
        pointRadius: isLine ? 3 : 0,
        borderRadius: isLine ? 0 : 3
      };
    });
    var format = spec.money ? whole : decimal;
    var chart = new window.Chart(canvas, {
      type: isLine ? "line" : "bar",
      data: { labels: spec.labels.map(function (v) { return label(v, spec); }), datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: function (item) { return item.dataset.label + ": " + format.format(item.parsed.y); }
            }
          },
          referenceLine: { value: spec.reference }
        },
        scales: {
          y: { beginAtZero: true, ticks: { callback: function (v) { return spec.money ? compact.format(v) : decimal.format(v); } } },
          x: { ticks: { autoSkip: true, maxRotation: 40 } }
        },
        onClick: function (_event, elements) {
          if (!spec.links || !elements.length) return;
          var target = spec.links[elements[0].index];
          // Only same-site paths: links come from the server, but never follow anything else.
          if (typeof target === "string" && target.charAt(0) === "/" && target.charAt(1) !== "/") {
            window.location.assign(target);
          }
        },
        onHover: function (event, elements) {
          if (event.native && event.native.target) {
            event.native.target.style.cursor = spec.links && elements.length ? "pointer" : "default";
          }
        }
      },
      plugins: [referenceLine]
    });
    canvas._clientelaChart = chart;
  }

  function init() {
    var canvases = document.querySelectorAll("canvas[data-chart]");
    for (var i = 0; i < canvases.length; i++) build(canvases[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
