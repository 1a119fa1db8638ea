// The analytics dashboard's charts, drawn from the JSON the page embeds.
(function () {
  "use strict";

  var STAGE_COLORS = {
    new: "#5b8ff9", active: "#5ad8a6", about_to_sleep: "#f6bd16",
    sleeping: "#e8684a", lost: "#9ca3af", returned: "#9270ca"
  };

  function read(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function chart(id, option) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) return;
    var instance = echarts.getInstanceByDom(el);
    if (!instance) {
      instance = echarts.init(el);
      window.addEventListener("resize", function () { instance.resize(); });
    }
    instance.setOption(option, true);
  }

  function drawMoves(data, labels) {
    var stages = Object.keys(data.moves.series);
    chart("chart-moves", {
      tooltip: { trigger: "axis" },
      legend: { bottom: 0, data: stages.map(function (s) { return labels.stages[s]; }) },
      grid: { left: 44, right: 12, top: 12, bottom: 48 },
      xAxis: { type: "category", data: data.moves.days, axisLabel: { formatter: function (v) { return v.slice(5); } } },
      yAxis: { type: "value", minInterval: 1 },
      series: stages.map(function (s) {
        return { name: labels.stages[s], type: "bar", stack: "moves", data: data.moves.series[s],
                 itemStyle: { color: STAGE_COLORS[s] }, barMaxWidth: 18 };
      })
    });
  }

  function drawGmv(data, labels) {
    var months = [], platforms = [], cells = {};
    data.gmv.forEach(function (row) {
      if (months.indexOf(row.month) < 0) months.push(row.month);
      if (platforms.indexOf(row.platform) < 0) platforms.push(row.platform);
      cells[row.month + "|" + row.platform] = row.gmv_fen / 100;
    });
    chart("chart-gmv", {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return "¥" + v.toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 }); } },
      legend: { top: 0, type: "scroll" },
      grid: { left: 12, right: 12, top: 36, bottom: 24, containLabel: true },
      xAxis: { type: "category", data: months },
      yAxis: { type: "value", axisLabel: { formatter: function (v) { return "¥" + (v / 10000) + "w"; } } },
      series: platforms.map(function (p) {
        return { name: (labels.platforms || {})[p] || p, type: "bar", stack: "gmv", barMaxWidth: 28,
                 data: months.map(function (m) { return cells[m + "|" + p] || 0; }) };
      })
    });
  }

  function drawCohorts(data, labels, key) {
    var cohorts = data.cohorts.map(function (c) { return c.cohort + " (" + c.size + ")"; });
    var width = 0, points = [];
    data.cohorts.forEach(function (c, y) {
      c[key].forEach(function (value, x) {
        if (x === 0) return;  // month 0 is everyone
        width = Math.max(width, x);
        points.push([x - 1, y, Math.round(value * 1000) / 10]);
      });
    });
    var offsets = [];
    for (var i = 1; i <= width; i++) offsets.push("+" + i);
    chart("chart-cohorts", {
      tooltip: { formatter: function (p) { return cohorts[p.value[1]] + " " + offsets[p.value[0]] + ": " + p.value[2] + "%"; } },
      grid: { left: 110, right: 24, top: 8, bottom: 60 },
      xAxis: { type: "category", data: offsets, name: labels.month, nameLocation: "middle", nameGap: 28 },
      yAxis: { type: "category", data: cohorts, inverse: true },
      visualMap: { min: 0, max: Math.max(10, Math.max.apply(null, points.map(function (p) { return p[2]; }).concat([0]))),
                   calculable: false, orient: "horizontal", left: "center", bottom: 0, itemHeight: 120,
                   inRange: { color: ["#fff5f5", "#e8434f"] } },
      series: [{ type: "heatmap", data: points, label: { show: true, formatter: function (p) { return p.value[2]; }, fontSize: 10 } }]
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var data = read("analytics-data"), labels = read("analytics-labels");
    if (!data) return;
    drawMoves(data, labels);
    drawGmv(data, labels);
    drawCohorts(data, labels, "retention");
    document.querySelectorAll("[data-cohort-view]").forEach(function (button) {
      button.addEventListener("click", function () {
        document.querySelectorAll("[data-cohort-view]").forEach(function (b) { b.classList.toggle("on", b === button); });
        drawCohorts(data, labels, button.dataset.cohortView);
      });
    });
  });
})();
