// Console behaviour: charts from data attributes, copy buttons, and a toast for failed HTMX calls.
(function () {
  "use strict";

  function toast(message) {
    var el = document.getElementById("toast");
    if (!el) return;
    el.textContent = message;
    el.classList.add("show");
    clearTimeout(el._timer);
    el._timer = setTimeout(function () { el.classList.remove("show"); }, 4000);
  }

  function drawCharts(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el._chart) return;
      var labels = JSON.parse(el.dataset.labels || "[]");
      var values = JSON.parse(el.dataset.values || "[]");
      var kind = el.dataset.chart === "line" ? "line" : "bar";
      el._chart = echarts.init(el);
      el._chart.setOption({
        color: ["#e8434f"],
        grid: { left: 40, right: 16, top: 16, bottom: 28 },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: labels, axisLabel: { formatter: function (v) { return v.slice(5); } } },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ name: el.dataset.seriesName || "", type: kind, data: values, smooth: true, barMaxWidth: 22 }]
      });
      window.addEventListener("resize", function () { el._chart.resize(); });
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.dataset.copy);
    if (!source) return;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () { toast("✓"); });
      return;
    }
    // Plain http on an intranet has no clipboard API: select the text and copy it.
    var range = document.createRange();
    range.selectNodeContents(source);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    if (document.execCommand("copy")) toast("✓");
  });

  document.addEventListener("htmx:responseError", function (event) {
    var text = event.detail.xhr.responseText;
    try { toast(JSON.parse(text).title); } catch (e) { toast(event.detail.xhr.statusText || "Error"); }
  });

  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSwap", function (event) { drawCharts(event.target); });
})();
