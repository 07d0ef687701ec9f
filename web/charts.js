// Plain SVG charts for the dashboard: no library, no network. Every chart is
// an <svg role="img"> with a <title> and <desc> for screen readers; series
// differ by dash pattern as well as colour.
"use strict";

const Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const W = 640, H = 360, M = { l: 64, r: 16, t: 16, b: 64 };

  function el(name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // niceTicks returns about n round values within [lo, hi]; with cover, the
  // last one is at or above hi (for a value axis that must hold every point).
  function niceTicks(lo, hi, n, cover) {
    if (!(hi > lo)) hi = lo + 1;
    const raw = (hi - lo) / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
    if (cover && out[out.length - 1] < hi) out.push(+(out[out.length - 1] + step).toPrecision(12));
    return out;
  }

  function fmt(v) {
    const a = Math.abs(v);
    if (a >= 1e6) return (v / 1e6).toPrecision(3).replace(/\.?0+$/, "") + "M";
    if (a >= 1e4) return (v / 1e3).toPrecision(3).replace(/\.?0+$/, "") + "k";
    return String(+v.toPrecision(4));
  }

  // line draws series [{name, color, dash, x: [], y: []}] into container and
  // returns the <svg>, whose scales property holds its scales {X, Y} (data
  // to SVG coordinates) for drawing more on it. opts: title, xLabel,
  // yLabel, desc.
  function line(container, series, opts) {
    opts = opts || {};
    const xs = series.flatMap((s) => s.x), ys = series.flatMap((s) => s.y);
    const x0 = Math.min(...xs), x1 = Math.max(...xs);
    const yt = niceTicks(0, Math.max(...ys, 1e-12), 5, true), y1 = yt[yt.length - 1];
    const X = (v) => M.l + (v - x0) / ((x1 - x0) || 1) * (W - M.l - M.r);
    const Y = (v) => H - M.b - v / y1 * (H - M.t - M.b);
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": "", class: "chart-svg" });
    const id = "c" + Math.random().toString(36).slice(2);
    svg.setAttribute("aria-labelledby", id + "t " + id + "d");
    svg.appendChild(el("title", { id: id + "t" }, opts.title || ""));
    svg.appendChild(el("desc", { id: id + "d" }, opts.desc || series.map((s) => s.name).join(", ")));
    const axes = el("g", { "font-size": "12", fill: "#333", "aria-hidden": "true" });
    for (const v of yt) {
      axes.appendChild(el("line", { x1: M.l, x2: W - M.r, y1: Y(v), y2: Y(v), stroke: "#ddd" }));
      axes.appendChild(el("text", { x: M.l - 6, y: Y(v) + 4, "text-anchor": "end" }, fmt(v)));
    }
    for (const v of niceTicks(x0, x1, 8)) {
      axes.appendChild(el("line", { x1: X(v), x2: X(v), y1: H - M.b, y2: H - M.b + 5, stroke: "#333" }));
      axes.appendChild(el("text", { x: X(v), y: H - M.b + 18, "text-anchor": "middle" }, fmt(v)));
    }
    axes.appendChild(el("path", { d: `M${M.l},${M.t}V${H - M.b}H${W - M.r}`, stroke: "#333", fill: "none" }));
    if (opts.xLabel) axes.appendChild(el("text", { x: (M.l + W - M.r) / 2, y: H - M.b + 36, "text-anchor": "middle" }, opts.xLabel));
    if (opts.yLabel) axes.appendChild(el("text", { x: 14, y: (M.t + H - M.b) / 2, "text-anchor": "middle", transform: `rotate(-90 14 ${(M.t + H - M.b) / 2})` }, opts.yLabel));
    svg.appendChild(axes);
    series.forEach((s, i) => {
      const d = s.x.map((x, j) => (j ? "L" : "M") + X(x).toFixed(1) + "," + Y(s.y[j]).toFixed(1)).join("");
      svg.appendChild(el("path", { d, fill: "none", stroke: s.color, "stroke-width": "2.5", "stroke-dasharray": s.dash || "", class: "series", "data-name": s.name }));
      // legend below the plot (up to four series fit in one row)
      const lx = M.l + i * 140, ly = H - 6;
      const g = el("g", { "font-size": "13", "aria-hidden": "true" });
      g.appendChild(el("line", { x1: lx, x2: lx + 26, y1: ly - 4, y2: ly - 4, stroke: s.color, "stroke-width": "3", "stroke-dasharray": s.dash || "" }));
      g.appendChild(el("text", { x: lx + 32, y: ly, fill: "#1b1b1b" }, s.name));
      svg.appendChild(g);
    });
    container.replaceChildren(svg);
    svg.scales = { X, Y };
    return svg;
  }

  // bars draws one value per label; opts as for line.
  function bars(container, labels, values, opts) {
    opts = opts || {};
    const yt = niceTicks(0, Math.max(...values, 1e-12), 5, true), y1 = yt[yt.length - 1];
    const bw = (W - M.l - M.r) / Math.max(labels.length, 1);
    const Y = (v) => H - M.b - v / y1 * (H - M.t - M.b);
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img" });
    svg.appendChild(el("title", {}, opts.title || ""));
    svg.appendChild(el("desc", {}, labels.map((l, i) => `${l}: ${fmt(values[i])}`).join("; ")));
    const g = el("g", { "font-size": "12", fill: "#333", "aria-hidden": "true" });
    for (const v of yt) {
      g.appendChild(el("line", { x1: M.l, x2: W - M.r, y1: Y(v), y2: Y(v), stroke: "#ddd" }));
      g.appendChild(el("text", { x: M.l - 6, y: Y(v) + 4, "text-anchor": "end" }, fmt(v)));
    }
    const every = Math.ceil(labels.length / 12);
    labels.forEach((l, i) => {
      g.appendChild(el("rect", { x: M.l + i * bw + bw * 0.15, y: Y(values[i]), width: bw * 0.7, height: H - M.b - Y(values[i]), fill: "#0b57a4", class: "bar" }));
      if (i % every === 0) g.appendChild(el("text", { x: M.l + (i + 0.5) * bw, y: H - M.b + 18, "text-anchor": "middle" }, l));
    });
    if (opts.xLabel) g.appendChild(el("text", { x: (M.l + W - M.r) / 2, y: H - M.b + 40, "text-anchor": "middle" }, opts.xLabel));
    if (opts.yLabel) g.appendChild(el("text", { x: 14, y: (M.t + H - M.b) / 2, "text-anchor": "middle", transform: `rotate(-90 14 ${(M.t + H - M.b) / 2})` }, opts.yLabel));
    svg.appendChild(g);
    container.replaceChildren(svg);
    return svg;
  }

  // cells draws geohash boxes [{region, count, box: [lat0, lon0, lat1, lon1]}]
  // shaded by count, in an equirectangular projection fitted to the boxes.
  function cells(container, regions, opts) {
    opts = opts || {};
    const rs = regions.filter((r) => r.box);
    const svg = el("svg", { viewBox: `0 0 ${W} ${W * 0.75}`, role: "img" });
    svg.appendChild(el("title", {}, opts.title || ""));
    svg.appendChild(el("desc", {}, rs.map((r) => `${r.region}: ${r.count}`).join("; ")));
    if (rs.length) {
      const lat0 = Math.min(...rs.map((r) => r.box[0])), lon0 = Math.min(...rs.map((r) => r.box[1]));
      const lat1 = Math.max(...rs.map((r) => r.box[2])), lon1 = Math.max(...rs.map((r) => r.box[3]));
      const kx = Math.cos((lat0 + lat1) / 2 * Math.PI / 180);
      const s = Math.min((W - 20) / (((lon1 - lon0) * kx) || 1), (W * 0.75 - 20) / ((lat1 - lat0) || 1));
      const max = Math.max(...rs.map((r) => r.count));
      for (const r of rs) {
        const x = 10 + (r.box[1] - lon0) * kx * s, y = 10 + (lat1 - r.box[2]) * s;
        const w = (r.box[3] - r.box[1]) * kx * s, h = (r.box[2] - r.box[0]) * s;
        const a = 0.15 + 0.85 * r.count / max;
        const g = el("g", { class: "cell" });
        g.appendChild(el("title", {}, `${r.region}: ${r.count}`));
        g.appendChild(el("rect", { x, y, width: w, height: h, fill: `rgba(163,32,26,${a.toFixed(2)})`, stroke: "#555" }));
        if (w > 40 && h > 16) g.appendChild(el("text", { x: x + w / 2, y: y + h / 2 + 4, "text-anchor": "middle", "font-size": "12", fill: a > 0.55 ? "#fff" : "#1b1b1b" }, `${r.region} ${r.count}`));
        svg.appendChild(g);
      }
    }
    container.replaceChildren(svg);
    return svg;
  }

  return { line, bars, cells, niceTicks };
})();
