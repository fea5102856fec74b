// regsim report: the interactive view. Reads the JSON in #regsim-data and draws a tile map,
// the national series and bars by region for the chosen year, metric and view. State lives in
// the URL fragment (#year=2027&metric=employment&view=diff) so any state can be linked.
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("regsim-data").textContent);
  var SVG = "http://www.w3.org/2000/svg";
  var ko = D.lang === "ko";
  var yearInput = document.getElementById("year");
  var metricSelect = document.getElementById("metric");
  var viewSelect = document.getElementById("view");

  // ---- number formats: en groups by thousands (trn/bn KRW), ko by 만/억/조 ----
  function group(x, decimals) {
    var s = Math.abs(x).toFixed(decimals);
    var parts = s.split(".");
    parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (x < 0 && Number(s) !== 0 ? "-" : "") + parts.join(".");
  }
  function digits(x) { return Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2; }
  function fmt(v, unit) {
    if (v === null || !isFinite(v)) return D.text.no_data;
    var a = Math.abs(v);
    if (unit === "krw") {
      if (ko) {
        if (a >= 1e12) return group(v / 1e12, digits(v / 1e12)) + "조 원";
        if (a >= 1e8) return group(v / 1e8, digits(v / 1e8)) + "억 원";
        return group(v / 1e4, 0) + "만 원";
      }
      if (a >= 1e12) return group(v / 1e12, digits(v / 1e12)) + " trn KRW";
      if (a >= 1e9) return group(v / 1e9, digits(v / 1e9)) + " bn KRW";
      return group(v / 1e6, digits(v / 1e6)) + " mn KRW";
    }
    var name = unit === "firms" ? D.text["unit.firms"] : D.text["unit.people"];
    if (ko) {
      if (a >= 1e8) return group(v / 1e8, 2) + "억 " + name;
      if (a >= 1e4) return group(v / 1e4, 1) + "만 " + name;
      return group(v, a >= 100 ? 0 : 1) + name;
    }
    return group(v, a >= 100 ? 0 : 1) + " " + name;
  }
  function signed(v, unit) {
    var text = fmt(v, unit);
    return diffView() && v > 0 ? "+" + text : text;
  }

  // ---- state <-> URL fragment ----
  function readHash() {
    var state = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i > 0) state[decodeURIComponent(kv.slice(0, i))] = decodeURIComponent(kv.slice(i + 1));
    });
    return state;
  }
  function writeHash() {
    var h = "#year=" + yearInput.value + "&metric=" + metricSelect.value;
    if (D.views.length > 1) h += "&view=" + viewSelect.value;
    if (location.hash !== h) history.replaceState(null, "", h);
  }
  function option(select, value, text) {
    var o = document.createElement("option");
    o.value = value;
    o.textContent = text;
    select.appendChild(o);
  }
  function applyHash() {
    var s = readHash();
    var y = Number(s.year);
    yearInput.value = D.years.indexOf(y) >= 0 ? y : D.years[D.years.length - 1];
    if (s.metric && D.metrics.some(function (m) { return m.id === s.metric; })) metricSelect.value = s.metric;
    if (s.view && D.views.some(function (v) { return v.id === s.view; })) viewSelect.value = s.view;
    render();
  }

  // ---- drawing helpers ----
  function el(name, attrs, parent) {
    var e = document.createElementNS(SVG, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, content, attrs) {
    var t = el("text", Object.assign({ x: x, y: y }, attrs || {}), parent);
    t.textContent = content;
    return t;
  }
  function clear(svg) { while (svg.firstChild) svg.removeChild(svg.firstChild); }
  function hover(node, message) {
    el("title", {}, node).textContent = message;
    node.addEventListener("mouseenter", function () {
      document.getElementById("hover-value").textContent = message;
    });
  }
  function diffView() { return viewSelect.value === "diff"; }
  function metric() {
    var id = metricSelect.value;
    return D.metrics.filter(function (m) { return m.id === id; })[0];
  }
  function values() { return D.data[viewSelect.value][metricSelect.value]; }
  // Sequential blues, or blue (negative) - white - red (positive) for differences.
  function colour(v, lo, hi) {
    if (v === null || !isFinite(v)) return "#e6e6e6";
    var t, a, b;
    if (diffView()) {
      var m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
      t = Math.min(1, Math.abs(v) / m);
      a = [255, 255, 255];
      b = v < 0 ? [33, 102, 172] : [178, 24, 43];
    } else {
      t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
      a = [239, 243, 255];
      b = [8, 69, 148];
    }
    var c = a.map(function (x, i) { return Math.round(x + (b[i] - x) * t); });
    return "rgb(" + c.join(",") + ")";
  }
  function dark(fill) {
    var c = fill.match(/\d+/g).map(Number);
    return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] < 120;
  }

  // ---- the three views ----
  function drawMap(year) {
    var svg = document.getElementById("tilemap");
    clear(svg);
    var i = D.years.indexOf(year), m = metric(), vals = values();
    var all = D.regions.map(function (r) { return vals[r.id][i]; }).filter(isFinite);
    var lo = Math.min.apply(null, all), hi = Math.max.apply(null, all);
    D.regions.forEach(function (r) {
      var v = vals[r.id][i];
      var g = el("g", { "class": "tile", "data-region": r.id, "data-value": v === null ? "" : String(v) }, svg);
      var x = 10 + r.col * 110, y = 10 + r.row * 100, w = r.w * 110 - 6;
      var fill = colour(v, lo, hi);
      el("rect", { x: x, y: y, width: w, height: 92, rx: 4, fill: fill }, g);
      var ink = dark(fill) ? "#fff" : "#111";
      text(g, x + w / 2, y + 38, r.name, { "class": "name", "text-anchor": "middle", fill: ink });
      text(g, x + w / 2, y + 62, signed(v, m.unit), { "class": "v", "text-anchor": "middle", fill: ink });
      hover(g, r.name + " " + year + ": " + signed(v, m.unit));
    });
    document.getElementById("map-caption").textContent = "· " + m.name + ", " + year;
  }

  function drawSeries(year) {
    var svg = document.getElementById("series");
    clear(svg);
    var m = metric(), line = values().national;
    var pts = D.years.map(function (y, i) { return [y, line[i]]; }).filter(function (p) { return p[1] !== null && isFinite(p[1]); });
    document.getElementById("series-caption").textContent = "· " + m.name + " (" + D.text.national + ")";
    if (!pts.length) { text(svg, 280, 150, D.text.no_data, { "text-anchor": "middle" }); return; }
    var ys = pts.map(function (p) { return p[1]; });
    var lo = Math.min.apply(null, ys.concat(diffView() ? [0] : [])), hi = Math.max.apply(null, ys.concat(diffView() ? [0] : []));
    if (hi === lo) { hi += Math.abs(hi) * 0.05 || 1; lo -= Math.abs(lo) * 0.05 || 1; }
    var pad = (hi - lo) * 0.08; lo -= pad; hi += pad;
    var x0 = 110, x1 = 540, y0 = 260, y1 = 20;
    var n = D.years.length;
    function X(y) { return n > 1 ? x0 + (x1 - x0) * D.years.indexOf(y) / (n - 1) : (x0 + x1) / 2; }
    function Y(v) { return y0 - (y0 - y1) * (v - lo) / (hi - lo); }
    el("line", { x1: x0, y1: y0, x2: x1, y2: y0, stroke: "#999" }, svg);
    [lo + pad, (lo + hi) / 2, hi - pad].forEach(function (v) {
      el("line", { x1: x0, y1: Y(v), x2: x1, y2: Y(v), stroke: "#e4e4e4" }, svg);
      text(svg, x0 - 6, Y(v) + 4, fmt(v, m.unit), { "text-anchor": "end", fill: "#555" });
    });
    D.years.forEach(function (y) { text(svg, X(y), y0 + 20, String(y), { "text-anchor": "middle", fill: "#555" }); });
    el("line", { x1: X(year), y1: y1, x2: X(year), y2: y0, stroke: "#bbb", "stroke-dasharray": "4 3" }, svg);
    el("polyline", { points: pts.map(function (p) { return X(p[0]) + "," + Y(p[1]); }).join(" "), fill: "none", stroke: "#0072b2", "stroke-width": 2.5 }, svg);
    pts.forEach(function (p) {
      var c = el("circle", { cx: X(p[0]), cy: Y(p[1]), r: p[0] === year ? 7 : 5, fill: p[0] === year ? "#d55e00" : "#0072b2", "data-year": p[0], "data-value": String(p[1]) }, svg);
      hover(c, D.text.national + " " + p[0] + ": " + signed(p[1], m.unit));
    });
  }

  function drawBars(year) {
    var svg = document.getElementById("bars");
    clear(svg);
    var i = D.years.indexOf(year), m = metric(), vals = values();
    var v = D.regions.map(function (r) { return vals[r.id][i]; });
    var finite = v.filter(isFinite);
    var lo = Math.min.apply(null, finite.concat([0])), hi = Math.max.apply(null, finite.concat([0]));
    if (hi === lo) hi = lo + 1;
    var x0 = 120, x1 = 430, rowH = 25; // room for the names on the left, the values on the right
    function X(x) { return x0 + (x1 - x0) * (x - lo) / (hi - lo); }
    D.regions.forEach(function (r, k) {
      var y = 10 + k * rowH, value = v[k];
      text(svg, x0 - 6, y + 15, r.name, { "text-anchor": "end" });
      if (value === null || !isFinite(value)) return;
      var a = X(Math.min(0, value)), b = X(Math.max(0, value));
      var bar = el("rect", { x: a, y: y + 3, width: Math.max(1, b - a), height: rowH - 7, fill: value < 0 ? "#2166ac" : "#0072b2", "data-region": r.id, "data-value": String(value) }, svg);
      hover(bar, r.name + " " + year + ": " + signed(value, m.unit));
      text(svg, b + 4, y + 15, signed(value, m.unit), { fill: "#333" });
    });
    el("line", { x1: X(0), y1: 6, x2: X(0), y2: 10 + D.regions.length * rowH, stroke: "#555" }, svg);
  }

  function render() {
    var year = Number(yearInput.value);
    document.getElementById("year-out").textContent = String(year);
    drawMap(year);
    drawSeries(year);
    drawBars(year);
  }

  // ---- controls ----
  yearInput.min = D.years[0];
  yearInput.max = D.years[D.years.length - 1];
  D.metrics.forEach(function (m) { option(metricSelect, m.id, m.name); });
  D.views.forEach(function (v) { option(viewSelect, v.id, v.name); });
  if (D.kind === "compare") viewSelect.value = "diff";
  [yearInput, metricSelect, viewSelect].forEach(function (c) {
    c.addEventListener("input", function () { render(); writeHash(); });
    c.addEventListener("change", function () { render(); writeHash(); });
  });
  window.addEventListener("hashchange", applyHash);
  applyHash();
})();
