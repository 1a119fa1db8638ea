// The overview's GMV trend: all GMV and private-domain GMV per business day, in yuan.
(function () {
  "use strict";
  function yuan(fen) {
    return "¥" + (fen / 100).toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("overview-trend");
    var source = document.getElementById("overview-data");
    if (!el || !source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var chart = echarts.init(el);
    chart.setOption({
      color: ["#94a3b8", "#e8434f"],
      legend: { top: 0, data: [el.dataset.gmvLabel, el.dataset.privateLabel] },
      grid: { left: 16, right: 16, top: 36, bottom: 24, containLabel: true },
      tooltip: { trigger: "axis", valueFormatter: yuan },
      xAxis: { type: "category", data: data.labels, axisLabel: { formatter: function (v) { return v.slice(5); } } },
      yAxis: { type: "value", axisLabel: { formatter: function (v) { return "¥" + (v / 100).toLocaleString("zh-CN"); } } },
      series: [
        { name: el.dataset.gmvLabel, type: "bar", data: data.gmv, barMaxWidth: 18 },
        { name: el.dataset.privateLabel, type: "line", data: data["private"], smooth: true }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
