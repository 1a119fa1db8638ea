// The public channels' charts, drawn from the JSON the page embeds.
(function () {
  "use strict";

  function chart(id, option) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) return;
    var instance = echarts.getInstanceByDom(el) || echarts.init(el);
    window.addEventListener("resize", function () { instance.resize(); });
    instance.setOption(option, true);
  }

  function draw() {
    var source = document.getElementById("content-data");
    if (!source) return;
    var data = JSON.parse(source.textContent), labels = data.labels || {};
    if (data.trend) {
      chart("chart-weeks", {
        tooltip: { trigger: "axis" },
        legend: { bottom: 0 },
        grid: { left: 12, right: 12, top: 24, bottom: 36, containLabel: true },
        xAxis: { type: "category", data: data.trend.weeks.map(function (w) { return w.slice(5); }) },
        yAxis: [{ type: "value", minInterval: 1 }, { type: "value" }],
        series: [
          { name: labels.works, type: "bar", data: data.trend.works, barMaxWidth: 22 },
          { name: labels.plays, type: "line", yAxisIndex: 1, data: data.trend.plays, smooth: true },
          { name: labels.avg_likes, type: "line", yAxisIndex: 1, data: data.trend.avg_likes, smooth: true }
        ]
      });
    }
    if (data.history) {
      chart("chart-history", {
        tooltip: { trigger: "axis" },
        legend: { bottom: 0 },
        grid: { left: 12, right: 12, top: 24, bottom: 36, containLabel: true },
        xAxis: { type: "category", data: data.history.days },
        yAxis: [{ type: "value" }, { type: "value" }],
        series: [
          { name: labels.plays, type: "line", data: data.history.plays, areaStyle: {} },
          { name: labels.follower_gain, type: "line", yAxisIndex: 1, data: data.history.follower_gain }
        ]
      });
    }
    if (data.followers) {
      chart("chart-followers", {
        tooltip: { trigger: "axis" },
        legend: { bottom: 0, type: "scroll" },
        grid: { left: 12, right: 12, top: 24, bottom: 36, containLabel: true },
        xAxis: { type: "time" },
        yAxis: { type: "value", scale: true },
        series: data.followers.map(function (account) {
          return { name: account.name, type: "line", showSymbol: false, data: account.points };
        })
      });
    }
    if (data.platforms) {
      chart("chart-report", {
        tooltip: { trigger: "axis" },
        legend: { bottom: 0 },
        grid: { left: 12, right: 12, top: 24, bottom: 36, containLabel: true },
        xAxis: { type: "category", data: data.platforms.map(function (p) { return p.name; }) },
        yAxis: [{ type: "value" }, { type: "value" }],
        series: [
          { name: labels.fans, type: "bar", data: data.platforms.map(function (p) { return p.fans; }), barMaxWidth: 28 },
          { name: labels.gmv, type: "bar", yAxisIndex: 1, data: data.platforms.map(function (p) { return p.gmv; }), barMaxWidth: 28 }
        ]
      });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
