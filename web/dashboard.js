// Operator and epidemiologist dashboard: /api/status, /api/epochs,
// /api/regionmap, /api/aggregates, /api/outbreak and /api/seir of "safetrace dev" (docs/dashboard.md).
"use strict";

const TEXT = {
  en: {
    title: "SafeTrace — dashboard", skip: "Skip to content", heading: "SafeTrace dashboard", language: "Language",
    health: "Parties and relays", loading: "Loading…", component: "Component", state: "State", details: "Details",
    summary: "Deployment “{d}”: {n} parties, threshold {t}, {up} of {all} components up. Updated {time}.",
    statusfail: "Status unavailable: {err}", up: "up", down: "down", degraded: "degraded",
    relays: "relays registered: {r}/{n}",
    epochs: "Epochs", epochtimes: "Epoch durations", noepochs: "No epochs yet.",
    epochsof: "Epochs at {party}", partynone: "{party}: {err}", epochcount: "{n} epochs reported.",
    regionmap: "Region risk map", maphint: "Only regions with at least k people are released by the parties.",
    nomap: "No region map released yet.", mapfrom: "{n} regions released by {party}{k}.", kinfo: " (k = {k})",
    regions: "Released regions", region: "Region (geohash)", count: "Count",
    models: "Epidemic models", beta: "Transmission rate β per day (mean field)", sigma: "Rate E → I per day (σ)",
    gamma: "Recovery rate per day (γ)", n: "Population", e0: "Initially exposed", days: "Days",
    degree: "Contacts per person (pairwise network)", kappa: "Network closure", poisson: "Poisson degrees (κ = 1)",
    regularnet: "regular (κ = (n−1)/n)", run: "Run models", running: "Computing…",
    seirdone: "Mean field: R0 = {r0}; pairwise: τ = {tau} per contact and day.",
    meanfield: "Mean-field SEIR", pairwise: "Pairwise SEIR on a contact network",
    compare: "Pairwise model vs mean field: infectious and recovered",
    day: "day", people: "people", S: "susceptible", E: "exposed", I: "infectious", R: "recovered",
    seconds: "seconds", epoch: "epoch",
    outbreak: "Outbreak", outbreakhint: "Daily series released by the parties after each epoch; a count below k is shown as “< k”.",
    aggcaption: "Released daily series", aggday: "Day", aggpos: "Positive reports (by report day)", aggusers: "Users with records",
    aggrisk: "User-days at increased risk", degcaption: "Records per user-day (contact degree distribution)", degbin: "Records",
    degcount: "User-days", noagg: "No daily series released yet (they come with the first epoch).",
    aggfrom: "Series of epoch {run} from {party} (k = {k}), {from} to {to}.",
    reporting: "Reporting fraction (empty: fitted)", delay: "Delay from onset to report in days (empty: fitted)",
    horizon: "Forecast days", fit: "Fit", fitting: "Fitting…",
    fitdone: "R0 = {r0} (90%: {lo}–{hi}), peak on day {peak}, R_t on the last day {rt}; reporting fraction {rho}, delay {delay} days. Day 0 is {day0}.",
    fitchart: "Reported positives: data, mean-field fit and forecast with 90% band",
    rtchart: "Reproduction number R_t with 90% interval", netchart: "Network models on the released degree distribution",
    data: "data", fitline: "mean-field fit", band: "90% band", rt: "R_t", pwline: "pairwise", dynline: "dynamic network",
    positives: "positives per day", weak: "Only {n} of {all} days have a released count (the others are below k): the fit says little.", nonet: "No degree distribution released: no network models.",
  },
  de: {
    title: "SafeTrace — Übersicht", skip: "Zum Inhalt springen", heading: "SafeTrace-Übersicht", language: "Sprache",
    health: "Parteien und Relays", loading: "Wird geladen…", component: "Komponente", state: "Zustand", details: "Details",
    summary: "Installation „{d}“: {n} Parteien, Schwelle {t}, {up} von {all} Komponenten erreichbar. Stand {time}.",
    statusfail: "Status nicht verfügbar: {err}", up: "läuft", down: "ausgefallen", degraded: "eingeschränkt",
    relays: "Relays verbunden: {r}/{n}",
    epochs: "Epochen", epochtimes: "Dauer der Epochen", noepochs: "Noch keine Epochen.",
    epochsof: "Epochen bei {party}", partynone: "{party}: {err}", epochcount: "{n} Epochen gemeldet.",
    regionmap: "Regionale Risikokarte", maphint: "Die Parteien veröffentlichen nur Regionen mit mindestens k Personen.",
    nomap: "Noch keine Risikokarte veröffentlicht.", mapfrom: "{n} Regionen, veröffentlicht von {party}{k}.", kinfo: " (k = {k})",
    regions: "Veröffentlichte Regionen", region: "Region (Geohash)", count: "Anzahl",
    models: "Epidemiemodelle", beta: "Übertragungsrate β pro Tag (Mean-Field)", sigma: "Rate E → I pro Tag (σ)",
    gamma: "Genesungsrate pro Tag (γ)", n: "Bevölkerung", e0: "Anfangs exponiert", days: "Tage",
    degree: "Kontakte pro Person (Paarmodell)", kappa: "Netzwerk-Schließung", poisson: "Poisson-Grade (κ = 1)",
    regularnet: "regulär (κ = (n−1)/n)", run: "Modelle berechnen", running: "Wird berechnet…",
    seirdone: "Mean-Field: R0 = {r0}; Paarmodell: τ = {tau} pro Kontakt und Tag.",
    meanfield: "Mean-Field-SEIR", pairwise: "Paarweises SEIR auf einem Kontaktnetz",
    compare: "Paarmodell und Mean-Field im Vergleich: infektiös und genesen",
    day: "Tag", people: "Personen", S: "empfänglich", E: "exponiert", I: "infektiös", R: "genesen",
    seconds: "Sekunden", epoch: "Epoche",
    outbreak: "Ausbruch", outbreakhint: "Tägliche Reihen, die die Parteien nach jeder Epoche veröffentlichen; eine Zahl unter k erscheint als „< k“.",
    aggcaption: "Veröffentlichte Tagesreihen", aggday: "Tag", aggpos: "Positive Meldungen (nach Meldetag)", aggusers: "Nutzer mit Einträgen",
    aggrisk: "Nutzertage mit erhöhtem Risiko", degcaption: "Einträge pro Nutzertag (Verteilung der Kontaktgrade)", degbin: "Einträge",
    degcount: "Nutzertage", noagg: "Noch keine Tagesreihen veröffentlicht (sie kommen mit der ersten Epoche).",
    aggfrom: "Reihen der Epoche {run} von {party} (k = {k}), {from} bis {to}.",
    reporting: "Meldeanteil (leer: geschätzt)", delay: "Verzug vom Beginn bis zur Meldung in Tagen (leer: geschätzt)",
    horizon: "Tage Vorhersage", fit: "Anpassen", fitting: "Wird angepasst…",
    fitdone: "R0 = {r0} (90 %: {lo}–{hi}), Höhepunkt an Tag {peak}, R_t am letzten Tag {rt}; Meldeanteil {rho}, Verzug {delay} Tage. Tag 0 ist der {day0}.",
    fitchart: "Positive Meldungen: Daten, Mean-Field-Anpassung und Vorhersage mit 90-%-Band",
    rtchart: "Reproduktionszahl R_t mit 90-%-Intervall", netchart: "Netzwerkmodelle auf der veröffentlichten Gradverteilung",
    data: "Daten", fitline: "Mean-Field-Anpassung", band: "90-%-Band", rt: "R_t", pwline: "Paarmodell", dynline: "dynamisches Netz",
    positives: "Meldungen pro Tag", weak: "Nur {n} von {all} Tagen haben eine veröffentlichte Zahl (die übrigen liegen unter k): die Anpassung sagt wenig.", nonet: "Keine Gradverteilung veröffentlicht: keine Netzwerkmodelle.",
  },
};

const t = PagesI18n.t;
const $ = (id) => document.getElementById(id);
const STYLE = { S: ["#0b57a4", ""], E: ["#8a4b00", "8 4"], I: ["#a3201a", "2 3"], R: ["#17692b", "12 4 2 4"] };
const last = {};

function status(id, text, isError) {
  $(id).textContent = text;
  $(id).classList.toggle("error", !!isError);
}

function cell(tr, text, cls, header) {
  const td = document.createElement(header ? "th" : "td");
  if (header) td.scope = "row";
  td.textContent = text;
  if (cls) td.className = cls;
  tr.appendChild(td);
}

async function getJSON(url) {
  const resp = await fetch(url, { cache: "no-store" });
  const body = await resp.json().catch(() => ({}));
  if (!resp.ok) throw new Error(body.error || "HTTP " + resp.status);
  return body;
}

// Health ----------------------------------------------------------------

function renderHealth() {
  const st = last.status;
  if (!st) return;
  const up = st.components.filter((c) => c.ok).length;
  status("summary", t("summary", { d: st.deployment, n: st.n, t: st.t, up, all: st.components.length, time: new Date().toLocaleTimeString(PagesI18n.lang()) }));
  $("health").tBodies[0].replaceChildren(...st.components.map((c) => {
    const tr = document.createElement("tr");
    const state = c.ok ? (c.health && c.health.status === "degraded" ? "degraded" : "up") : "down";
    let details = c.error || "";
    if (c.health && typeof c.health === "object" && "relays" in c.health) {
      details = t("relays", { r: c.health.relays_registered, n: c.health.relays });
    }
    cell(tr, c.name, "", true);
    cell(tr, t(state), state === "up" ? "ok" : state);
    cell(tr, details);
    tr.dataset.state = state;
    return tr;
  }));
}

async function refreshHealth() {
  try {
    last.status = await getJSON("/api/status");
    renderHealth();
  } catch (e) {
    status("summary", t("statusfail", { err: e.message }), true);
  }
}

// Epochs ----------------------------------------------------------------

// epochList finds the list of epochs in a party's answer, whatever its shape.
function epochList(body) {
  if (Array.isArray(body)) return body;
  if (body && typeof body === "object") {
    for (const k of ["epochs", "recent", "items"]) if (Array.isArray(body[k])) return body[k];
  }
  return [];
}

function show(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

// duration returns an epoch's duration in seconds, if it has one we know.
function duration(e) {
  for (const [k, f] of [["duration_ms", 1e-3], ["elapsed_ms", 1e-3], ["duration_seconds", 1], ["seconds", 1], ["duration_s", 1], ["duration_ns", 1e-9], ["duration", 1e-9]]) {
    if (typeof e[k] === "number") return e[k] * f;
  }
  return undefined;
}

function renderEpochs() {
  const data = last.epochs;
  if (!data) return;
  const tables = [], notes = [];
  let chartDone = false;
  for (const p of data.parties) {
    const list = p.ok ? epochList(p.body) : [];
    if (!p.ok && p.status !== 404) notes.push(t("partynone", { party: p.name, err: p.error }));
    if (!list.length) continue;
    const cols = [...new Set(list.slice(0, 50).flatMap((e) => Object.keys(e)))];
    const table = document.createElement("table");
    table.innerHTML = "<caption></caption><thead><tr></tr></thead><tbody></tbody>";
    table.caption.textContent = t("epochsof", { party: p.name });
    for (const c of cols) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = c;
      table.tHead.rows[0].appendChild(th);
    }
    for (const e of list.slice(-50)) {
      const tr = document.createElement("tr");
      for (const c of cols) cell(tr, show(e[c]), typeof e[c] === "number" ? "num" : "");
      table.tBodies[0].appendChild(tr);
    }
    const wrap = document.createElement("div");
    wrap.className = "table-wrap";
    wrap.appendChild(table);
    tables.push(wrap);
    const secs = list.slice(-30).map(duration);
    if (!chartDone && secs.every((s) => s !== undefined)) {
      const labels = list.slice(-30).map((e, i) => show(e.epoch ?? e.id ?? i + 1));
      Charts.bars($("epochchart"), labels, secs, { title: t("epochtimes"), xLabel: t("epoch"), yLabel: t("seconds") });
      chartDone = true;
    }
  }
  $("epochchartfig").hidden = !chartDone;
  $("epochtables").replaceChildren(...tables);
  const msg = tables.length ? t("epochcount", { n: Math.max(...data.parties.map((p) => epochList(p.body).length)) }) : t("noepochs");
  status("epochstatus", [msg, ...notes].join(" "));
}

async function refreshEpochs() {
  try {
    last.epochs = await getJSON("/api/epochs");
  } catch (e) {
    last.epochs = { parties: [] };
  }
  renderEpochs();
}

// Region map ------------------------------------------------------------

function renderMap() {
  const m = last.map;
  if (!m) return;
  const table = $("maptable");
  if (!m.available) {
    status("mapstatus", t("nomap"));
    table.hidden = true;
    $("mapgrid").replaceChildren();
    return;
  }
  status("mapstatus", t("mapfrom", { n: m.regions.length, party: m.source, k: m.k ? t("kinfo", { k: m.k }) : "" }));
  table.hidden = false;
  table.tBodies[0].replaceChildren(...m.regions.map((r) => {
    const tr = document.createElement("tr");
    cell(tr, r.region, "", true);
    cell(tr, show(r.count), "num");
    return tr;
  }));
  Charts.cells($("mapgrid"), m.regions, { title: t("regionmap") });
}

async function refreshMap() {
  try {
    last.map = await getJSON("/api/regionmap");
  } catch (e) {
    last.map = { available: false, regions: [] };
  }
  renderMap();
}

// Outbreak --------------------------------------------------------------

function renderAggregates() {
  const a = last.agg;
  if (!a) return;
  if (!a.available || !a.aggregates) {
    status("aggstatus", t("noagg"));
    $("aggtable").hidden = $("degtable").hidden = true;
    return;
  }
  const g = a.aggregates, days = g.days || [];
  status("aggstatus", t("aggfrom", { run: String(g.run || "").slice(0, 8), party: a.source, k: g.k, from: days.length ? days[0].day : "", to: days.length ? days[days.length - 1].day : "" }));
  $("aggtable").hidden = false;
  $("aggtable").tBodies[0].replaceChildren(...days.map((d) => {
    const tr = document.createElement("tr");
    cell(tr, d.day, "", true);
    for (const k of ["positives", "users", "at_risk"]) cell(tr, show(d[k]), "num");
    return tr;
  }));
  $("degtable").hidden = false;
  $("degtable").tBodies[0].replaceChildren(...(g.degree || []).map((b) => {
    const tr = document.createElement("tr");
    cell(tr, b.lo === b.hi ? String(b.lo) : b.lo + "–" + b.hi, "", true);
    cell(tr, show(b.count), "num");
    return tr;
  }));
}

async function refreshAggregates() {
  try {
    last.agg = await getJSON("/api/aggregates");
  } catch (e) {
    last.agg = { available: false };
  }
  renderAggregates();
}

// withBand draws series with Charts.line and adds a shaded band
// {lo, hi, x, color} and points {x, y} on the chart's scales (svg.scales;
// the band's upper edge and the points are passed as invisible series, so
// that the scales cover them).
function withBand(container, series, band, points, opts) {
  const all = series.slice();
  if (band) all.push({ name: "", color: "none", x: band.x, y: band.hi });
  if (points) all.push({ name: "", color: "none", x: points.x, y: points.y.map((v) => v ?? 0) });
  const svg = Charts.line(container, all, opts);
  const { X, Y } = svg.scales;
  const NS = "http://www.w3.org/2000/svg";
  const first = svg.querySelector("path.series");
  if (band) {
    const pts = band.x.map((x, i) => X(x).toFixed(1) + "," + Y(band.lo[i]).toFixed(1));
    for (let i = band.x.length - 1; i >= 0; i--) pts.push(X(band.x[i]).toFixed(1) + "," + Y(band.hi[i]).toFixed(1));
    const poly = document.createElementNS(NS, "polygon");
    poly.setAttribute("points", pts.join(" "));
    poly.setAttribute("fill", band.color);
    poly.setAttribute("class", "band");
    poly.setAttribute("data-name", band.name || "");
    svg.insertBefore(poly, first);
  }
  if (points) {
    const g = document.createElementNS(NS, "g");
    g.setAttribute("class", "points");
    points.x.forEach((x, i) => {
      if (points.y[i] === null || points.y[i] === undefined) return;
      const c = document.createElementNS(NS, "circle");
      c.setAttribute("cx", X(x).toFixed(1));
      c.setAttribute("cy", Y(points.y[i]).toFixed(1));
      c.setAttribute("r", "3");
      c.setAttribute("fill", "#1b1b1b");
      g.appendChild(c);
    });
    svg.appendChild(g);
  }
  // The helper series have no legend entry.
  svg.querySelectorAll('path.series[data-name=""]').forEach((p) => p.remove());
  return svg;
}

function renderOutbreak() {
  const r = last.outbreak;
  if (!r) return;
  const f = r.fit, p = f.params, n = f.expected.length;
  const x = [...Array(n).keys()];
  const num = (v) => (v === null || v === undefined || !isFinite(v) ? "–" : String(+v.toPrecision(3)));
  status("outbreakstatus", t("fitdone", { r0: num(p.r0), lo: num(p.r0_lo), hi: num(p.r0_hi), peak: f.peak_day, rt: num(f.rt_last), rho: num(p.reporting), delay: num(p.delay), day0: (r.days || [])[0] || "" }) +
    (p.released_days < 7 ? " " + t("weak", { n: p.released_days, all: p.days }) : ""));
  $("outbreakresult").textContent = r.summary;
  const dataX = f.data.map((_, i) => i);
  withBand($("chart-fit"), [{ name: t("fitline"), color: "#0b57a4", dash: "", x, y: f.expected }],
    { x, lo: f.lo, hi: f.hi, color: "rgba(11,87,164,0.18)", name: t("band") }, { x: dataX, y: f.data },
    { title: t("fitchart"), xLabel: t("day"), yLabel: t("positives"), desc: r.summary });
  const rt = f.rt || [];
  if (rt.length) {
    withBand($("chart-rt"), [{ name: t("rt"), color: "#8a4b00", dash: "", x: rt.map((q) => q.day), y: rt.map((q) => q.mean) },
      { name: "1", color: "#555", dash: "2 3", x: [0, f.data.length - 1], y: [1, 1] }],
    { x: rt.map((q) => q.day), lo: rt.map((q) => q.lo), hi: rt.map((q) => q.hi), color: "rgba(138,75,0,0.2)" }, null,
    { title: t("rtchart"), xLabel: t("day"), yLabel: "R_t" });
  } else {
    $("chart-rt").replaceChildren();
  }
  if (f.pairwise && f.dynamic) {
    withBand($("chart-net"), [
      { name: t("fitline"), color: "#0b57a4", dash: "", x, y: f.expected },
      { name: t("pwline"), color: "#a3201a", dash: "8 4", x, y: f.pairwise.expected },
      { name: t("dynline"), color: "#17692b", dash: "2 3", x, y: f.dynamic.expected },
    ], { x, lo: f.dynamic.lo, hi: f.dynamic.hi, color: "rgba(23,105,43,0.15)" }, { x: dataX, y: f.data },
    { title: t("netchart"), xLabel: t("day"), yLabel: t("positives") });
  } else {
    const p = document.createElement("p");
    p.className = "hint";
    p.textContent = t("nonet");
    $("chart-net").replaceChildren(p);
  }
}

async function runOutbreak(ev) {
  if (ev) ev.preventDefault();
  const q = new URLSearchParams();
  for (const [k, v] of new FormData($("outbreakform"))) if (v !== "") q.set(k, v);
  status("outbreakstatus", t("fitting"));
  try {
    last.outbreak = await getJSON("/api/outbreak?" + q);
    renderOutbreak();
  } catch (e) {
    status("outbreakstatus", e.message, true);
  }
}

// Models ----------------------------------------------------------------

function seirSeries(j, suffix, classes) {
  return classes.map((c) => ({
    name: t(c) + (suffix ? " " + suffix : ""), color: STYLE[c][0], dash: STYLE[c][1], x: j.t, y: j[c],
  }));
}

function renderSEIR() {
  const r = last.seir;
  if (!r) return;
  const opts = { xLabel: t("day"), yLabel: t("people") };
  Charts.line($("chart-meanfield"), seirSeries(r.mf, "", ["S", "E", "I", "R"]), { ...opts, title: t("meanfield") });
  Charts.line($("chart-pairwise"), seirSeries(r.pw, "", ["S", "E", "I", "R"]), { ...opts, title: t("pairwise") });
  Charts.line($("chart-compare"), [
    { name: t("I") + " MF", color: "#a3201a", dash: "", x: r.mf.t, y: r.mf.I },
    { name: t("I") + " PW", color: "#a3201a", dash: "6 4", x: r.pw.t, y: r.pw.I },
    { name: t("R") + " MF", color: "#17692b", dash: "", x: r.mf.t, y: r.mf.R },
    { name: t("R") + " PW", color: "#17692b", dash: "6 4", x: r.pw.t, y: r.pw.R },
  ], { ...opts, title: t("compare") });
  status("seirstatus", t("seirdone", { r0: +r.mf.params.r0.toPrecision(3), tau: +r.pw.params.tau.toPrecision(3) }));
}

async function runSEIR(ev) {
  if (ev) ev.preventDefault();
  const q = new URLSearchParams(new FormData($("seirform")));
  status("seirstatus", t("running"));
  try {
    const [mf, pw] = await Promise.all([
      getJSON("/api/seir?model=meanfield&" + q), getJSON("/api/seir?model=pairwise&" + q),
    ]);
    last.seir = { mf, pw };
    renderSEIR();
  } catch (e) {
    status("seirstatus", e.message, true);
  }
}

PagesI18n.init(TEXT, $("lang"));
PagesI18n.onChange(() => { renderHealth(); renderEpochs(); renderMap(); renderAggregates(); renderOutbreak(); renderSEIR(); });
$("seirform").addEventListener("submit", runSEIR);
$("outbreakform").addEventListener("submit", runOutbreak);
refreshHealth();
refreshEpochs();
refreshMap();
refreshAggregates();
runSEIR();
setInterval(refreshHealth, 5000);
setInterval(() => { refreshEpochs(); refreshMap(); refreshAggregates(); }, 15000);
