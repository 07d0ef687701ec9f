// SafeTrace visitor app: the UI, storage (IndexedDB) and scheduling around
// the Go client compiled to WebAssembly (safetrace.app.*, wasm/visitor.go).
// Records are derived, Shamir-shared and sealed in Go; this file never sends
// a venue name, a cell or a secret anywhere but to Go.
"use strict";

// ---- clock: tests inject an offset before load (window.__safetraceClock).
const now = () => Date.now() + ((window.__safetraceClock && window.__safetraceClock.offset) || 0);

const MIN = 60_000, HOUR = 60 * MIN, DAY = 24 * HOUR;
const MAX_STAY = 12 * HOUR;
const UPLOAD_EVERY = 15 * MIN; // GPS cells and encounters, app time
const RESULTS_EVERY = 5 * MIN; // real time
const perf = (window.__stPerf = { decodeMs: [], start: performance.now(), marks: {} });
const mark = (name) => { perf.marks[name] = Math.round(performance.now()); };
mark("script");

// ---- the Go client runs in a worker (web/go.js, web/go-worker.js), which
// web/go.js started from the page's head: its download, compilation and
// start never block this page. The home screen, navigation, the stored
// status and the texts need no Go and come first; whatever needs Go (scan
// decoding, the venue of a poster, sealing, uploads, results) waits for
// the client, saying so where the user waits ("getting ready").
// safetrace.app is the module's functions as they are (the tests call them).
const goModule = self.safetraceGo.module("app.wasm", "app");
goModule.ready.then(() => mark("module"), () => {});
// The client: the module running and initialised with the manifest
// (initClient). api.* waits for it; its calls reject if it failed.
let clientReady = null;
const client = new Promise((resolve, reject) => { clientReady = { resolve, reject }; });
client.catch(() => {});
let isReady = false;
const api = new Proxy({}, {
  get: (_, m) => (typeof m !== "string" || m === "then" ? undefined : async (...args) => { await client; return goModule.api[m](...args); }),
});

// ---- i18n
const texts = {};
let lang = localStorage.getItem("lang") || ((navigator.language || "en").toLowerCase().startsWith("de") ? "de" : "en");
async function loadTexts(l) {
  if (!texts[l]) texts[l] = await (await fetch(`web/i18n/${l}.json`)).json();
}
// Both texts load while IndexedDB opens (index.html preloads the English).
const textsLoaded = Promise.all([loadTexts("en"), lang !== "en" ? loadTexts(lang).catch(() => { lang = "en"; }) : null]);
// ---- storage: one IndexedDB object store of named values.
const db = await new Promise((resolve, reject) => {
  const req = indexedDB.open("safetrace", 1);
  req.onupgradeneeded = () => req.result.createObjectStore("kv");
  req.onsuccess = () => resolve(req.result);
  req.onerror = () => reject(req.error);
});
function get(key, dflt) {
  return new Promise((resolve, reject) => {
    const r = db.transaction("kv").objectStore("kv").get(key);
    r.onsuccess = () => resolve(r.result === undefined ? dflt : r.result);
    r.onerror = () => reject(r.error);
  });
}
function put(key, value) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction("kv", "readwrite");
    tx.objectStore("kv").put(value, key);
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
}

// t looks up a text; with vars.n === 1 it takes KEY.one when there is one
// ("1 record", not "1 records").
function t(key, vars = {}) {
  const lookup = (k) => (texts[lang] && texts[lang][k]) || (texts.en && texts.en[k]);
  let s = (Number(vars.n) === 1 && lookup(key + ".one")) || lookup(key) || key;
  for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, v);
  return s;
}
function applyTexts() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-aria]")) el.setAttribute("aria-label", t(el.dataset.i18nAria));
  for (const el of document.querySelectorAll("[data-i18n-alt]")) el.alt = t(el.dataset.i18nAlt);
  $("lang").value = lang;
}
const $ = (id) => document.getElementById(id);
const fmtTime = (ms) => new Date(ms).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
const fmtDay = (ms) => new Date(ms).toLocaleDateString(lang, { weekday: "short", year: "numeric", month: "short", day: "numeric" });
const fmtDur = (ms) => { const m = Math.floor(ms / MIN); return m < 60 ? t("dur.min", { m }) : t("dur.hmin", { h: Math.floor(m / 60), m: m % 60 }); };
const b64 = (bytes) => btoa(String.fromCharCode(...bytes));

// ---- screens
let current = "home";
function show(name) {
  if (current === "scanner" && name !== "scanner") stopCamera();
  for (const s of document.querySelectorAll(".screen")) s.hidden = s.id !== name;
  for (const b of document.querySelectorAll(".tabs [data-go]")) b.setAttribute("aria-current", b.dataset.go === name ? "page" : "false");
  current = name;
  const h = document.querySelector(`#${name} h2`);
  if (h) { h.tabIndex = -1; h.focus(); }
  if (name === "visits") renderVisits();
  if (name === "gps") renderGPS();
  if (name === "about") refreshStatus();
  if (name === "mycode") renderMyCode();
}
for (const b of document.querySelectorAll("[data-go]")) b.addEventListener("click", () => show(b.dataset.go));

// ---- getting ready: a screen whose action waits for the client says so
// in its message line el until the client is there (or failed).
function whenReady(el) {
  if (isReady || !el) return client;
  el.textContent = t("app.preparing");
  el.dataset.preparing = "1";
  const done = (text) => (e) => { if (el.dataset.preparing) { delete el.dataset.preparing; el.textContent = text(e); } };
  client.then(done(() => ""), done((e) => t("err.init", { err: e.message })));
  return client;
}

// The parameters of the deployment (retention, GPS fixes) as the client
// last verified them; stored, so a start shows them before the client runs.
let params = {};
let deployment = "";
async function initClient() {
  // The manifest's download runs while the module loads.
  const fetched = fetch("api/manifest.json", { cache: "no-store" }).then((r) => (r.ok ? r.text() : null)).catch(() => null);
  await goModule.ready;
  let manifest = await fetched;
  const stored = await get("manifest", null);
  if (!manifest) manifest = stored; // offline: the stored copy
  if (!manifest) throw new Error(t("err.nomanifest"));
  const res = await goModule.api.init(manifest, await get("state", ""), await get("pinned", ""));
  await put("state", res.state);
  await put("manifest", manifest);
  await put("pinned", res.manifest_hash);
  params = JSON.parse(res.params);
  await put("params", params);
  deployment = res.deployment;
}

// ---- visits
// A visit: {id, name, room, address, secret (base64), arrive, depart (0 while
// checked in), end (planned end), uploaded}.
async function visits() { return get("visits", []); }
async function activeVisit() { return (await visits()).find((v) => !v.depart) || null; }

async function checkIn(venue, stayMin) {
  await checkOutActive(now()); // a new scan ends the previous check-in
  const t0 = now();
  const v = { id: crypto.randomUUID(), name: venue.name, room: venue.room || "", address: venue.address || "",
    secret: venue.secret, arrive: t0, depart: 0, end: t0 + Math.min(stayMin * MIN, MAX_STAY), uploaded: false };
  const vs = await visits();
  vs.push(v);
  await put("visits", vs);
  if ("Notification" in window && Notification.permission === "default") Notification.requestPermission().catch(() => {});
  return v;
}

async function checkOutActive(at) {
  const vs = await visits();
  const v = vs.find((x) => !x.depart);
  if (!v) return null;
  v.depart = Math.max(v.arrive, Math.min(at, v.end));
  await put("visits", vs);
  // Before the client runs, the visit's upload waits for it: the start
  // queues every visit that ended and is not queued (queueEnded).
  if (!isReady) return v;
  await queue({ visits: [{ secret: v.secret, arrive: v.arrive, depart: v.depart }], cells: [], encounters: [] });
  v.uploaded = true;
  await put("visits", vs);
  flush();
  return v;
}

// Auto check-out at the planned end, with a reminder if permitted.
async function tick() {
  const v = await activeVisit();
  if (!isReady) { // the automatic check-out and uploads need the client
    renderActive(v);
    return;
  }
  if (v && now() >= v.end) {
    await checkOutActive(v.end);
    notify(t("notify.checkedout", { name: v.name }));
  }
  if (v && !v.reminded && now() < v.end && v.end - now() <= 10 * MIN) {
    // A reminder shortly before the automatic check-out, if permitted.
    const vs = await visits();
    const cur = vs.find((x) => x.id === v.id);
    if (cur) { cur.reminded = true; await put("visits", vs); }
    notify(t("notify.reminder", { name: v.name, time: fmtTime(v.end) }));
  }
  renderActive(v && now() < v.end ? v : null);
  if (now() - (await get("lastPeriodic", 0)) >= UPLOAD_EVERY) periodicUpload();
}
function notify(text) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  navigator.serviceWorker?.ready.then((reg) => reg.showNotification("SafeTrace", { body: text, icon: "web/icons/icon-192.png" })).catch(() => {});
}

// ---- uploads: prepared (shared and sealed per party) in Go, queued in
// IndexedDB, sent until every party receipted.
async function queue(history) {
  const res = JSON.parse(await api.prepare(JSON.stringify(history)));
  if (!res.pending.length) return 0;
  const q = await get("pending", []);
  for (const p of res.pending) q.push({ id: crypto.randomUUID(), kind: "ordinary", json: JSON.stringify(p), created: now() });
  await put("pending", q);
  renderQueue();
  return res.pending.length;
}

// One periodic upload at a time: the timer and a caller must not queue the
// same cells twice.
let periodic = null;
function periodicUpload() {
  if (!periodic) periodic = doPeriodicUpload().finally(() => { periodic = null; });
  return periodic;
}
async function doPeriodicUpload() {
  await put("lastPeriodic", now());
  const cells = await get("cells", []);
  const encs = await get("encounters", []);
  const newCells = cells.filter((c) => !c.uploaded);
  const newEncs = encs.filter((e) => !e.uploaded);
  if (!newCells.length && !newEncs.length) return;
  // A GPS cell counts until the next fix, so the newest one waits.
  const ready = newCells.filter((c) => now() - c.time > params.gps_fix_minutes * MIN);
  if (!ready.length && !newEncs.length) return;
  await queue({ visits: [], cells: ready.map((c) => ({ time: c.time, cell: c.cell })), encounters: newEncs.map((e) => ({ id: e.id, day: e.day })) });
  for (const c of ready) c.uploaded = true;
  for (const e of newEncs) e.uploaded = true;
  await put("cells", cells);
  await put("encounters", encs);
  flush();
}

let flushing = null;
function flush() {
  if (!flushing) flushing = doFlush().finally(() => { flushing = null; renderQueue(); });
  return flushing;
}
async function doFlush() {
  // Offline (as the browser knows it): keep the queue, the "online" event
  // flushes it.
  if (!navigator.onLine) { setNet(false); return false; }
  for (;;) {
    const q = await get("pending", []);
    const item = q.find((x) => !x.failed);
    if (!item) return true;
    const res = JSON.parse(await api.send(item.json, 20000));
    const q2 = await get("pending", []);
    const i = q2.findIndex((x) => x.id === item.id);
    if (res.complete) q2.splice(i, 1);
    else if (res.refused) q2[i].failed = res.refused;
    else q2[i].json = JSON.stringify(res.pending); // keep the receipts we have
    await put("pending", q2);
    if (!res.complete && !res.refused) {
      setNet(false);
      setTimeout(flush, 5000); // the relay is unreachable: try again soon
      return false;
    }
    setNet(true);
  }
}
async function renderQueue() {
  const q = (await get("pending", [])).filter((x) => !x.failed);
  $("queue").textContent = q.length ? t("queue.waiting", { n: q.length }) : "";
}
function setNet(ok) { $("net").textContent = ok ? "" : t("net.offline"); }

// ---- results
async function checkResults() {
  if (!navigator.onLine) { setNet(false); renderStatus(); return; }
  try {
    const st = JSON.parse(await api.results(15000));
    // Days of increased risk are kept here (until the retention window
    // ends), so the parties may delete the delivered results (DESIGN 4.5).
    // Venue warnings likewise, apart from the persons' reports.
    const cutoff = new Date(now() - (params.retention_days || 14) * DAY).toISOString().slice(0, 10);
    const prev = await get("lastCheck", null);
    const keep = (fetched, kept) => [...new Set([...(fetched || []), ...(kept || [])])]
      .filter((d) => d >= cutoff).sort().reverse();
    const days = keep(st.days, prev?.days);
    const venueDays = keep(st.venue_days, prev?.venueDays);
    await put("lastCheck", { time: now(), risk: days.length > 0, days, venueDays });
    setNet(true);
    if (st.results > 0) api.ack(15000).catch(() => {});
  } catch (e) {
    setNet(false);
  }
  renderStatus();
}
async function renderStatus() {
  const lc = await get("lastCheck", null);
  if (!lc) {
    $("status-text").textContent = t("status.unknown");
    $("status-advice").textContent = "";
    $("status-checked").textContent = "";
    $("status").className = "card status";
    return;
  }
  $("status").className = "card status " + (lc.risk ? "risk" : "ok");
  $("status-text").textContent = lc.risk ? t("status.risk", { day: fmtDay(Date.parse(lc.days[0] + "T12:00:00Z")) }) : t("status.ok");
  $("status-advice").textContent = lc.risk ? t("status.riskadvice") : t("status.okadvice");
  $("status-checked").textContent = t("status.checked", { time: fmtDay(lc.time) + " " + fmtTime(lc.time) });
  const vd = lc.venueDays || [];
  $("venue-warning").hidden = vd.length === 0;
  $("venue-warning-text").textContent = vd.length ? t("status.venue", { day: fmtDay(Date.parse(vd[0] + "T12:00:00Z")) }) : "";
  $("venue-warning-advice").textContent = vd.length ? t("status.venueadvice") : "";
}

function renderActive(v) {
  $("active").hidden = !v;
  if (!v) { $("active-name").textContent = $("active-room").textContent = ""; return; }
  $("active-name").textContent = v.name;
  $("active-room").textContent = v.room ? "· " + v.room : "";
  $("active-elapsed").textContent = fmtDur(now() - v.arrive);
  $("active-end").textContent = fmtTime(v.end);
}

// ---- scanning: camera frames decoded by the Go QR decoder, ~5 frames/s,
// one decode at a time so the UI never waits on it. A frame without a code
// costs a few milliseconds (the decoder spreads its expensive attempts over
// frames, qr/core.Scanner).
let stream = null, scanMode = "venue", scanTimer = 0;
async function startScan(mode) {
  scanMode = mode;
  $("scan-h").textContent = t({ venue: "scan.title", person: "scan.person", code: "scan.code" }[mode]);
  $("scan-msg").textContent = "";
  show("scanner");
  whenReady($("scan-msg")); // the camera starts now, its frames are read once the decoder is there
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment", width: 640, height: 480 }, audio: false });
  } catch (e) {
    $("scan-msg").textContent = t("scan.nocamera");
    return;
  }
  const video = $("video");
  video.srcObject = stream;
  await video.play().catch(() => {});
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  let busy = false;
  const tick = async () => {
    if (busy || !video.videoWidth || !stream) return;
    busy = true;
    try {
      const scale = Math.min(1, 640 / video.videoWidth);
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const t0 = performance.now();
      const text = await api.decode(img.data, img.width, img.height);
      perf.decodeMs.push(performance.now() - t0);
      if (text && stream) await scanned(text);
    } finally { busy = false; }
  };
  scanTimer = setInterval(tick, 200);
  tick();
}
function stopCamera() {
  clearInterval(scanTimer);
  if (stream) for (const tr of stream.getTracks()) tr.stop();
  stream = null;
}
async function scanned(text) {
  if (scanMode === "code") {
    // A health authority's code: its QR holds the code's text form. The
    // parties check its signature; here only its shape.
    const code = text.trim().toUpperCase();
    if (!codeShape.test(code) || code.replace(/[-\s]/g, "").length !== 136) {
      $("scan-msg").textContent = t("scan.notcode");
      return;
    }
    // The first byte is the purpose (docs/manifest.md): 2, a venue-warning
    // code, reads 08..0B.
    if (/^0[89AB]/.test(code)) {
      $("scan-msg").textContent = t("scan.venuecode");
      return;
    }
    stopCamera();
    show("report");
    $("code").value = code;
    $("report-msg").textContent = t("report.scanned");
    return;
  }
  if (scanMode === "person") {
    try {
      const e = JSON.parse(await api.encounter(text));
      stopCamera();
      const encs = await get("encounters", []);
      if (!encs.some((x) => x.id === e.id && x.day === e.day)) encs.push({ ...e, time: now(), uploaded: false });
      await put("encounters", encs);
      show("home");
      $("queue").textContent = t("encounter.saved");
    } catch (err) { $("scan-msg").textContent = t("scan.notperson"); }
    return;
  }
  try {
    const v = JSON.parse(await api.venue(text));
    stopCamera();
    openConfirm(v);
  } catch (err) {
    $("scan-msg").textContent = err.message === "not-venue" ? t("scan.notvenue") : t("scan.badposter");
  }
}

let pendingVenue = null;
function openConfirm(v) {
  pendingVenue = v;
  $("venue-name").textContent = v.name;
  $("venue-room").textContent = v.room ? t("confirm.room", { room: v.room }) : "";
  $("venue-address").textContent = v.address || "";
  const sel = $("stay");
  sel.replaceChildren();
  const opts = new Set([30, 60, 120, 180, 240, 480, 720, v.stay_minutes]);
  for (const m of [...opts].filter((m) => m > 0 && m <= 720).sort((a, b) => a - b)) {
    const o = document.createElement("option");
    o.value = m;
    o.textContent = fmtDur(m * MIN) + (m === v.stay_minutes ? " " + t("confirm.default") : "");
    o.selected = m === v.stay_minutes;
    sel.append(o);
  }
  const n = now();
  $("confirm-msg").textContent = v.valid_from && (n < v.valid_from || n > v.valid_until) ? t("confirm.expired") : "";
  $("checkin").disabled = !!$("confirm-msg").textContent;
  show("confirm");
}

// ---- my code
async function renderMyCode() {
  whenReady($("mycode-msg"));
  const c = await api.myCode(now());
  $("mycode-img").src = c.png;
  $("mycode-img").dataset.code = c.code;
}

// ---- visits screen
async function renderVisits() {
  const list = $("visit-list");
  list.replaceChildren();
  // Before the first start of the client there are no parameters yet.
  $("visits-retention").textContent = params.retention_days ? t("visits.retention", { days: params.retention_days }) : "";
  const vs = (await visits()).slice().sort((a, b) => b.arrive - a.arrive);
  if (!vs.length) {
    const p = document.createElement("p");
    p.textContent = t("visits.none");
    list.append(p);
  }
  let day = "";
  let ul = null;
  for (const v of vs) {
    const d = fmtDay(v.arrive);
    if (d !== day) {
      day = d;
      const h = document.createElement("h3");
      h.textContent = d;
      ul = document.createElement("ul");
      ul.className = "visits";
      list.append(h, ul);
    }
    const li = document.createElement("li");
    const span = document.createElement("span");
    span.textContent = `${v.name}${v.room ? " · " + v.room : ""} — ${fmtTime(v.arrive)}–${v.depart ? fmtTime(v.depart) : t("visits.now")}`;
    const del = document.createElement("button");
    del.type = "button";
    del.className = "small";
    del.textContent = t("visits.delete");
    del.setAttribute("aria-label", t("visits.deleteone", { name: v.name, time: fmtTime(v.arrive) }));
    del.addEventListener("click", async () => {
      await put("visits", (await visits()).filter((x) => x.id !== v.id));
      $("visits-msg").textContent = t("visits.deleted");
      renderVisits();
      tick();
    });
    li.append(span, del);
    ul.append(li);
  }
}

// Retention: everything older than the window goes, here as at the parties.
async function expire() {
  const cutoff = now() - (params.retention_days || 14) * DAY;
  await put("visits", (await visits()).filter((v) => (v.depart || v.arrive) >= cutoff));
  await put("cells", (await get("cells", [])).filter((c) => c.time >= cutoff));
  await put("encounters", (await get("encounters", [])).filter((e) => e.time >= cutoff));
  await put("pending", (await get("pending", [])).filter((p) => p.created >= cutoff));
}

// ---- GPS (opt-in): cells only, while the app is open.
let watchId = null;
let gpsOn = false; // loaded at start; kept in memory so the switch never lags a click
async function renderGPS() {
  $("gps-on").checked = gpsOn;
  $("gps-count").textContent = t("gps.count", { n: (await get("cells", [])).length });
}
async function startGPS() {
  if (!("geolocation" in navigator)) { $("gps-msg").textContent = t("gps.unsupported"); return; }
  stopGPS();
  watchId = navigator.geolocation.watchPosition(async (pos) => {
    const cell = await api.cell(pos.coords.latitude, pos.coords.longitude, pos.coords.accuracy);
    if (!cell) { $("gps-msg").textContent = t("gps.inaccurate"); return; }
    const cells = await get("cells", []);
    const last = cells[cells.length - 1];
    if (!last || last.cell !== cell || now() - last.time >= 5 * MIN) {
      cells.push({ time: now(), cell, uploaded: false });
      await put("cells", cells);
    }
    $("gps-msg").textContent = t("gps.on");
    $("gps-count").textContent = t("gps.count", { n: cells.length });
  }, async (err) => {
    if (err.code === err.PERMISSION_DENIED) {
      // The switch goes off with the message, before the store is written.
      gpsOn = false;
      $("gps-on").checked = false;
      $("gps-msg").textContent = t("gps.denied");
      stopGPS();
      await put("gpsOn", false);
    } else $("gps-msg").textContent = t("gps.unavailable");
  }, { enableHighAccuracy: true, maximumAge: 60000, timeout: 30000 });
}
function stopGPS() { if (watchId !== null) navigator.geolocation.clearWatch(watchId); watchId = null; }

// ---- positive report
async function fullHistory() {
  return {
    visits: (await visits()).map((v) => ({ secret: v.secret, arrive: v.arrive, depart: v.depart })),
    cells: (await get("cells", [])).map((c) => ({ time: c.time, cell: c.cell })),
    encounters: [],
  };
}
let reportArgs = null;
const codeShape = /^[0-9A-Z][0-9A-Z\-\s]*$/;
// "Scan the code" beside the code field: the camera reads the QR code the
// health authority's desk shows or prints, with the same decoder as posters.
{
  const b = document.createElement("button");
  b.type = "button";
  b.id = "scancode";
  b.dataset.i18n = "report.scan";
  b.textContent = t("report.scan");
  b.addEventListener("click", () => startScan("code"));
  $("code").after(b);
}
$("report-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("report-msg").textContent = "";
  $("report-preview").hidden = true;
  const code = $("code").value.trim(), onset = $("onset").value;
  if (!code) { $("report-msg").textContent = t("report.needcode"); $("code").focus(); return; }
  if (!onset) { $("report-msg").textContent = t("report.needonset"); $("onset").focus(); return; }
  try {
    await whenReady($("report-msg"));
    const s = JSON.parse(await api.preview(JSON.stringify(await fullHistory()), onset, now()));
    reportArgs = { code, onset };
    const kinds = Object.entries(s.by_kind).map(([k, n]) => t("kind." + k, { n })).join(", ");
    $("report-summary").textContent = t("report.summary", { n: s.records, kinds: kinds || "—" });
    $("report-days").replaceChildren(...(s.days || []).map((d) => {
      const li = document.createElement("li");
      li.textContent = t("report.day", { day: fmtDay(Date.parse(d.day + "T12:00:00Z")), n: d.records });
      return li;
    }));
    $("consent").checked = false;
    $("report-preview").hidden = false;
    $("report-send").disabled = s.records === 0;
    $("report-summary").focus?.();
  } catch (e) { $("report-msg").textContent = t("report.failed", { err: e.message }); }
});
$("report-send").addEventListener("click", async () => {
  if (!$("consent").checked) { $("report-msg").textContent = t("report.needconsent"); $("consent").focus(); return; }
  $("report-send").disabled = true;
  try {
    await whenReady($("report-msg"));
    $("report-msg").textContent = t("report.sending");
    const prep = JSON.parse(await api.preparePositive(JSON.stringify(await fullHistory()), reportArgs.onset, now(), reportArgs.code));
    const res = JSON.parse(await api.send(JSON.stringify(prep.pending[0]), 30000));
    if (res.complete) {
      $("report-msg").textContent = t("report.sent");
      $("report-preview").hidden = true;
      $("code").value = "";
    } else if (res.refused) {
      $("report-msg").textContent = t("report." + res.refused);
    } else {
      const q = await get("pending", []);
      q.push({ id: crypto.randomUUID(), kind: "positive", json: JSON.stringify(res.pending), created: now() });
      await put("pending", q);
      $("report-msg").textContent = t("report.queued");
    }
  } catch (e) {
    $("report-msg").textContent = /code/i.test(e.message) ? t("report.code-invalid") : t("report.failed", { err: e.message });
  } finally { $("report-send").disabled = false; }
});

// ---- about / deployment status
// Only the newest call writes, so a status fetched before a language change
// does not overwrite the one fetched after it.
let statusSeq = 0;
async function refreshStatus() {
  const seq = ++statusSeq;
  try {
    const st = await (await fetch("api/status", { cache: "no-store" })).json();
    if (seq !== statusSeq) return;
    $("summary").textContent = t("about.summary", { d: st.deployment, n: st.n, t: st.t, relays: st.relays.join(", ") });
    $("deploy-foot").textContent = t("about.foot", { d: st.deployment, up: st.components.filter((c) => c.ok).length, all: st.components.length });
    $("components").replaceChildren(...st.components.map((c) => {
      const tr = document.createElement("tr");
      for (const [text, cls] of [[c.name, ""], [c.ok ? t("about.up") : t("about.down"), c.ok ? "ok" : "down"],
        [c.error || (c.health && c.health.relays_registered !== undefined ? `relays ${c.health.relays_registered}/${c.health.relays}` : ""), ""]]) {
        const td = document.createElement("td");
        td.textContent = text;
        if (cls) td.className = cls;
        tr.append(td);
      }
      return tr;
    }));
  } catch (e) {
    if (seq !== statusSeq) return;
    $("summary").textContent = t("about.unavailable");
    $("deploy-foot").textContent = deployment ? t("about.footoffline", { d: deployment }) : "";
  }
}

// ---- wiring
$("scan").addEventListener("click", () => startScan("venue"));
$("scanperson").addEventListener("click", () => startScan("person"));
$("mycode-btn").addEventListener("click", () => show("mycode"));
$("scan-cancel").addEventListener("click", () => show("home"));
$("paste-go").addEventListener("click", () => { whenReady($("scan-msg")); scanned($("paste").value.trim()); });
$("confirm-cancel").addEventListener("click", () => { pendingVenue = null; show("home"); });
$("checkin").addEventListener("click", async () => {
  if (!pendingVenue) return;
  await checkIn(pendingVenue, Number($("stay").value));
  pendingVenue = null;
  show("home");
  tick();
});
$("checkout").addEventListener("click", async () => { await checkOutActive(now()); tick(); });
$("export").addEventListener("click", async () => {
  const data = { exported: new Date(now()).toISOString(), visits: (await visits()).map(({ secret, ...v }) => v),
    cells: await get("cells", []), encounters: await get("encounters", []) };
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
  a.download = "safetrace-visits.json";
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
});
// Delete all asks once more in place (no blocking dialog): a second press
// within 5 seconds deletes.
let deleteArmed = 0;
$("delete-all").addEventListener("click", async () => {
  if (Date.now() - deleteArmed > 5000) {
    deleteArmed = Date.now();
    $("delete-all").textContent = t("visits.confirmall");
    setTimeout(() => { $("delete-all").textContent = t("visits.deleteall"); }, 5000);
    return;
  }
  deleteArmed = 0;
  $("delete-all").textContent = t("visits.deleteall");
  await put("visits", []);
  $("visits-msg").textContent = t("visits.deletedall");
  renderVisits();
  tick();
});
$("gps-on").addEventListener("change", async () => {
  const on = (gpsOn = $("gps-on").checked);
  await put("gpsOn", on);
  $("gps-msg").textContent = "";
  if (on) startGPS(); else stopGPS();
});
$("lang").addEventListener("change", async () => {
  lang = $("lang").value;
  localStorage.setItem("lang", lang);
  await loadTexts(lang);
  applyTexts();
  renderStatus(); renderQueue(); tick();
  refreshStatus(); // the About summary and footer in the new language
});
window.addEventListener("online", () => { flush(); checkResults(); });

// ---- start: the home screen from what this phone keeps (the texts, the
// last result, the check-in, the queue), without Go: it is drawn and its
// buttons work while the client loads.
await textsLoaded;
applyTexts();
mark("texts");
params = (await get("params", null)) || {};
for (const id of ["scan", "mycode-btn", "scanperson"]) $(id).disabled = false;
for (const id of ["status-text", "status-advice"]) $(id).removeAttribute("data-i18n");
show("home");
await renderStatus(); // before the app counts as interactive: its texts move the buttons
renderQueue();
gpsOn = await get("gpsOn", false);
await tick();
setInterval(tick, 1000);
if (!isReady) {
  $("prep").textContent = t("app.loading");
  client.then(() => { $("prep").textContent = ""; }, () => { $("prep").textContent = ""; });
}
perf.interactive = performance.now();
mark("interactive");
document.body.dataset.interactive = "1";

// queueEnded queues the uploads of the visits that were checked out while
// the client loaded (or before the page closed), then lets check-outs
// queue their own. No await between the last read and isReady: a
// check-out that wrote before that read is in it, one after it sees
// isReady.
async function queueEnded() {
  for (;;) {
    const vs = await visits();
    const ended = vs.filter((v) => v.depart && !v.uploaded);
    if (!ended.length) { isReady = true; return; }
    const res = JSON.parse(await goModule.api.prepare(JSON.stringify({
      visits: ended.map((v) => ({ secret: v.secret, arrive: v.arrive, depart: v.depart })), cells: [], encounters: [] })));
    const q = await get("pending", []);
    for (const p of res.pending) q.push({ id: crypto.randomUUID(), kind: "ordinary", json: JSON.stringify(p), created: now() });
    await put("pending", q);
    const ids = new Set(ended.map((v) => v.id));
    await put("visits", (await visits()).map((v) => (ids.has(v.id) ? { ...v, uploaded: true } : v)));
  }
}

// ---- the client: the module, then the manifest verified by it.
try {
  await initClient();
  mark("client");
} catch (e) {
  clientReady.reject(e);
  $("loading").textContent = t("err.init", { err: e.message });
  $("loading").hidden = false;
  throw e;
}
try {
  await queueEnded();
} catch (e) { // the visits stay to be queued at the next start
  console.error("queueing the ended visits:", e);
  isReady = true;
}
clientReady.resolve();
await expire();
if (current === "visits") renderVisits(); // with the retention window now
await tick(); // an automatic check-out that came due while the client loaded
setInterval(() => { flush(); checkResults(); }, RESULTS_EVERY);
setInterval(flush, 30_000);
if (gpsOn) startGPS();
// The module ready: the client runs with its manifest (the home screen
// was interactive at perf.interactive).
perf.tti = performance.now() - perf.start;
perf.ttiFromNav = performance.now();
refreshStatus();
flush();
checkResults();
// A poster's URL opened by the phone's own camera app lands on the same
// confirmation screen; the fragment is dropped from the address bar.
async function openHash() {
  if (!location.hash.startsWith("#v1.")) return;
  const h = location.hash;
  history.replaceState(null, "", location.pathname + location.search);
  try { openConfirm(JSON.parse(await api.venue(h))); } catch (e) { $("queue").textContent = t("scan.badposter"); }
}
window.addEventListener("hashchange", openHash);
await openHash();
if ("serviceWorker" in navigator) navigator.serviceWorker.register("sw.js").catch(() => {});

// Test hooks (the browser tests drive the app through these).
window.safetraceApp = {
  now, flush, checkResults, tick, periodicUpload, t,
  get: (k) => get(k, null),
  pending: async () => (await get("pending", [])).filter((x) => !x.failed).length,
  bench: async (n) => api.bench(n),
  ready: true,
};
document.body.dataset.ready = "1";
