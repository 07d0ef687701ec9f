// Operator and epidemiologist dashboard: /api/status, /api/epochs,
// /api/regionmap and /api/seir of "safetrace dev" (docs/dashboard.md).
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
PagesI18n.onChange(() => { renderHealth(); renderEpochs(); renderMap(); renderSEIR(); });
$("seirform").addEventListener("submit", runSEIR);
refreshHealth();
refreshEpochs();
refreshMap();
runSEIR();
setInterval(refreshHealth, 5000);
setInterval(() => { refreshEpochs(); refreshMap(); }, 15000);
