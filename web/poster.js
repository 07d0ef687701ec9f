// Venue owner page: the form drives safetrace.poster.* (Go compiled to
// WebAssembly, wasm/internal/posterkit), which makes the posters in this
// browser. The modules run in a worker (web/go.js, web/go-worker.js), so
// their download, compilation and start do not block the page.
"use strict";

const TEXT = {
  en: {
    title: "SafeTrace — venue poster", skip: "Skip to content", heading: "Venue poster", language: "Language",
    intro: "Make a check-in poster for your venue. Everything happens in this browser: the venue's secret code is created here and only goes into the poster.",
    loading: "Loading the poster maker…", ready: "Ready. Works offline once loaded.", loadfail: "The poster maker could not be loaded: {err}",
    name: "Venue name", required: "(required)", optional: "(optional)", address: "Address", room: "Room or area",
    category: "Category", stay: "Usual stay in minutes", stayhint: "(default for {cat}: {min})", paper: "Paper",
    pdf: "Download PDF", png: "Download PNG", svg: "Download SVG", renew: "New code (new venue secret)",
    renewed: "New venue secret: posters from now on have a different code.",
    preview: "Preview", previewof: "Poster preview for {name}", needname: "Enter the venue's name to see the poster.",
    making: "Making {fmt}…", saved: "{file} saved.", origin: "The code opens {origin}.",
    batch: "Many posters from a CSV file",
    batchhint: "Columns: name,address,room,category,stay. Each row gets its own secret; the result is one PDF with a page per row.",
    csvfile: "CSV file", batchbtn: "Make PDF of all posters", needcsv: "Choose a CSV file first.",
    batchdone: "{n} posters saved as {file}.",
    warn: "Warn visitors",
    warnhint: "If the health authority found an outbreak at your venue, it gives you a one-time venue-warning code. Everyone who checked in with your poster during the time you enter is warned. Nobody, not even the servers, learns who was there.",
    warnurl: "Your poster's link (the web address in its code)", warnuse: "Use the poster made above",
    warnfile: "Or open your poster's file (PDF, PNG or a photo of it)", warnfrom: "From", warnto: "Until",
    warncode: "Venue-warning code from the health authority", warncheck: "Check", warnsend: "Send the warning",
    warnpreview: "{venue}: visitors who checked in from {from} until {to} will be warned ({n} time slots). Check the times, then send.",
    warnchecking: "Checking…", warnsending: "Sending the warning…",
    warnsent: "The warning was sent. Visitors who were there see it after the next computation.",
    warn_notvenue: "This is not a venue's poster: {err}", warn_nocode: "Enter the venue-warning code from the health authority.",
    warn_personalcode: "This is a code for a positive test. A venue warning needs a venue-warning code from the health authority.",
    warn_badcode: "The code is not valid: {err}", warn_window: "The times cannot be used: {err}",
    warn_needtimes: "Enter when the time to warn about begins and ends.", warn_needposter: "Enter your poster's link or open its file.",
    "warn_code-used": "This code was already used. Ask the health authority for a new one.",
    "warn_code-invalid": "The servers did not accept the code: {err}", "warn_code-expired": "The code has expired. Ask the health authority for a new one.",
    "warn_code-revoked": "The health authority has revoked this code.", warn_refused: "The servers refused the warning: {err}",
    warn_unsent: "The warning could not be sent (offline?): {err}", warn_nomanifest: "The deployment could not be reached; the warning needs it.",
    cat_restaurant: "restaurant", cat_bar: "bar", cat_office: "office", cat_retail: "shop", cat_gym: "gym",
    cat_school: "school", cat_event: "event", cat_transport: "transport", cat_other: "other",
  },
  de: {
    title: "SafeTrace — Plakat für Ihren Ort", skip: "Zum Inhalt springen", heading: "Plakat für Ihren Ort", language: "Sprache",
    intro: "Erstellen Sie ein Check-in-Plakat für Ihren Ort. Alles geschieht in diesem Browser: Der geheime Code des Ortes wird hier erzeugt und gelangt nur auf das Plakat.",
    loading: "Plakat-Werkzeug wird geladen…", ready: "Bereit. Funktioniert nach dem Laden auch offline.", loadfail: "Das Plakat-Werkzeug konnte nicht geladen werden: {err}",
    name: "Name des Ortes", required: "(Pflichtfeld)", optional: "(optional)", address: "Adresse", room: "Raum oder Bereich",
    category: "Kategorie", stay: "Übliche Aufenthaltsdauer in Minuten", stayhint: "(Standard für {cat}: {min})", paper: "Papier",
    pdf: "PDF herunterladen", png: "PNG herunterladen", svg: "SVG herunterladen", renew: "Neuer Code (neues Geheimnis)",
    renewed: "Neues Geheimnis: Plakate haben ab jetzt einen anderen Code.",
    preview: "Vorschau", previewof: "Plakatvorschau für {name}", needname: "Geben Sie den Namen des Ortes ein, um das Plakat zu sehen.",
    making: "{fmt} wird erstellt…", saved: "{file} gespeichert.", origin: "Der Code öffnet {origin}.",
    batch: "Viele Plakate aus einer CSV-Datei",
    batchhint: "Spalten: name,address,room,category,stay. Jede Zeile erhält ein eigenes Geheimnis; das Ergebnis ist ein PDF mit einer Seite pro Zeile.",
    csvfile: "CSV-Datei", batchbtn: "PDF mit allen Plakaten erstellen", needcsv: "Wählen Sie zuerst eine CSV-Datei.",
    batchdone: "{n} Plakate als {file} gespeichert.",
    warn: "Besucher warnen",
    warnhint: "Hat das Gesundheitsamt einen Ausbruch an Ihrem Ort festgestellt, erhalten Sie dort einen einmaligen Code für eine Ortswarnung. Gewarnt wird jede Person, die im angegebenen Zeitraum mit Ihrem Plakat eingecheckt hat. Niemand, auch nicht die Server, erfährt, wer da war.",
    warnurl: "Link Ihres Plakats (die Webadresse in seinem Code)", warnuse: "Das oben erstellte Plakat verwenden",
    warnfile: "Oder die Datei Ihres Plakats öffnen (PDF, PNG oder ein Foto davon)", warnfrom: "Von", warnto: "Bis",
    warncode: "Code für die Ortswarnung vom Gesundheitsamt", warncheck: "Prüfen", warnsend: "Warnung senden",
    warnpreview: "{venue}: Gewarnt wird, wer von {from} bis {to} eingecheckt hat ({n} Zeitabschnitte). Prüfen Sie die Zeiten und senden Sie dann.",
    warnchecking: "Wird geprüft…", warnsending: "Warnung wird gesendet…",
    warnsent: "Die Warnung wurde gesendet. Wer dort war, sieht sie nach der nächsten Berechnung.",
    warn_notvenue: "Das ist kein Plakat eines Ortes: {err}", warn_nocode: "Geben Sie den Code für die Ortswarnung vom Gesundheitsamt ein.",
    warn_personalcode: "Das ist ein Code für einen positiven Test. Eine Ortswarnung braucht einen Code für Ortswarnungen vom Gesundheitsamt.",
    warn_badcode: "Der Code ist ungültig: {err}", warn_window: "Die Zeiten können nicht verwendet werden: {err}",
    warn_needtimes: "Geben Sie Beginn und Ende des Zeitraums ein.", warn_needposter: "Geben Sie den Link Ihres Plakats ein oder öffnen Sie seine Datei.",
    "warn_code-used": "Dieser Code wurde bereits verwendet. Bitten Sie das Gesundheitsamt um einen neuen.",
    "warn_code-invalid": "Die Server haben den Code nicht angenommen: {err}", "warn_code-expired": "Der Code ist abgelaufen. Bitten Sie das Gesundheitsamt um einen neuen.",
    "warn_code-revoked": "Das Gesundheitsamt hat diesen Code widerrufen.", warn_refused: "Die Server haben die Warnung abgelehnt: {err}",
    warn_unsent: "Die Warnung konnte nicht gesendet werden (offline?): {err}", warn_nomanifest: "Die Installation ist nicht erreichbar; die Warnung braucht sie.",
    cat_restaurant: "Restaurant", cat_bar: "Bar", cat_office: "Büro", cat_retail: "Geschäft", cat_gym: "Fitnessstudio",
    cat_school: "Schule", cat_event: "Veranstaltung", cat_transport: "Verkehrsmittel", cat_other: "Sonstiges",
  },
};

const t = PagesI18n.t;
const $ = (id) => document.getElementById(id);
let categories = [];
let origin = "http://localhost:8080";
let stayEdited = false;
let manifestText = null; // the deployment's manifest, for the warning form

function setStatus(id, text, isError) {
  const e = $(id);
  e.textContent = text;
  e.classList.toggle("error", !!isError);
}

// loadWasm waits for the poster maker's Go module, whose download go.js
// (a deferred script of the page's head) started.
async function loadWasm() {
  if (document.readyState === "loading") await new Promise((r) => document.addEventListener("DOMContentLoaded", r, { once: true }));
  await self.safetraceGo.module("poster.wasm", "poster").ready;
}

// loadOrigin reads the deployment's app origin; offline, the last one seen.
async function loadOrigin() {
  try {
    const resp = await fetch("/api/manifest.json", { cache: "no-store" });
    if (resp.ok) {
      manifestText = await resp.text();
      const m = JSON.parse(manifestText);
      if (m.app_origin) {
        origin = m.app_origin;
        localStorage.setItem("safetrace.appOrigin", origin);
      }
    }
  } catch (e) {
    origin = localStorage.getItem("safetrace.appOrigin") || origin;
  }
  $("origininfo").textContent = t("origin", { origin });
}

function request(formats) {
  return {
    name: $("name").value, address: $("address").value, room: $("room").value,
    category: $("category").value, stay: $("stay").value,
    paper: document.querySelector("input[name=paper]:checked").value, origin, formats,
  };
}

function fillCategories() {
  const sel = $("category"), cur = sel.value || "restaurant";
  sel.replaceChildren(...categories.map((c) => {
    const o = document.createElement("option");
    o.value = c.name;
    o.textContent = t("cat_" + c.name);
    return o;
  }));
  sel.value = cur;
  updateStayHint();
}

function updateStayHint() {
  const c = categories.find((c) => c.name === $("category").value);
  if (!c) return;
  $("stayhint").textContent = t("stayhint", { cat: t("cat_" + c.name), min: c.stay_minutes });
  if (!stayEdited) $("stay").value = c.stay_minutes;
}

let previewTimer = 0, previewSeq = 0;
function schedulePreview() {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(preview, 250);
}

async function preview() {
  const seq = ++previewSeq;
  const box = $("preview");
  const hasName = $("name").value.trim() !== "";
  for (const id of ["dl-pdf", "dl-png", "dl-svg"]) $(id).disabled = !hasName;
  if (!hasName) {
    box.replaceChildren();
    box.setAttribute("aria-label", t("preview"));
    setStatus("formstatus", t("needname"));
    return;
  }
  try {
    const p = await safetrace.poster.make(request(["svg"]));
    if (seq !== previewSeq) return; // a newer edit is on its way
    const doc = new DOMParser().parseFromString(p.svg, "image/svg+xml");
    const svg = document.importNode(doc.documentElement, true);
    svg.setAttribute("aria-hidden", "true");
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    box.replaceChildren(svg);
    box.dataset.url = p.url;
    $("warnuse").disabled = false;
    box.setAttribute("aria-label", t("previewof", { name: $("name").value.trim() }));
    setStatus("formstatus", "");
  } catch (e) {
    if (seq === previewSeq) setStatus("formstatus", e.message, true);
  }
}

function save(bytes, type, file) {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = file;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

const TYPES = { pdf: "application/pdf", png: "image/png", svg: "image/svg+xml" };

async function download(fmt) {
  setStatus("formstatus", t("making", { fmt: fmt.toUpperCase() }));
  try {
    const p = await safetrace.poster.make(request([fmt]));
    const file = p.fileName + "." + fmt;
    save(p[fmt], TYPES[fmt], file);
    setStatus("formstatus", t("saved", { file }));
  } catch (e) {
    setStatus("formstatus", e.message, true);
  }
}

async function batch() {
  const f = $("csv").files[0];
  if (!f) {
    setStatus("batchstatus", t("needcsv"), true);
    return;
  }
  setStatus("batchstatus", t("making", { fmt: "PDF" }));
  try {
    const paper = document.querySelector("input[name=paper]:checked").value;
    const r = await safetrace.poster.batch(await f.text(), { paper, origin });
    save(r.pdf, TYPES.pdf, "posters.pdf");
    setStatus("batchstatus", t("batchdone", { n: r.names.length, file: "posters.pdf" }));
  } catch (e) {
    setStatus("batchstatus", e.message, true);
  }
}

// ---- the "Warn visitors" form: safetrace.warn.* checks and sends. Its
// module (the client that seals and sends) is loaded on first use, so the
// poster maker's own module stays small.
let warnLoad = null;
function loadWarn() {
  if (!warnLoad) {
    warnLoad = self.safetraceGo.module("warn.wasm", "warn").ready;
    warnLoad.catch(() => { warnLoad = null; });
  }
  return warnLoad;
}
let warnChecked = null; // the request the shown preview is of
function fmtWhen(ms) {
  return new Date(ms).toLocaleString(document.documentElement.lang || "en", { weekday: "short", year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}
async function warnRequest() {
  const from = Date.parse($("warnfrom").value), to = Date.parse($("warnto").value);
  const f = $("warnfile").files[0];
  return {
    req: { url: $("warnurl").value.trim(), from: isNaN(from) ? 0 : from, to: isNaN(to) ? 0 : to, code: $("warncode").value },
    file: f ? new Uint8Array(await f.arrayBuffer()) : null,
    bad: !manifestText ? "warn_nomanifest" : isNaN(from) || isNaN(to) ? "warn_needtimes" : !f && !$("warnurl").value.trim() ? "warn_needposter" : "",
  };
}
function warnFailed(res) {
  const key = "warn_" + res.key;
  const msg = t(key, { err: res.error });
  setStatus("warnstatus", msg === key ? res.error : msg, true);
}
async function warnCheck() {
  $("warnsend").hidden = true;
  warnChecked = null;
  setStatus("warnpreview", "");
  const w = await warnRequest();
  if (w.bad) { setStatus("warnstatus", t(w.bad), true); return; }
  setStatus("warnstatus", t("warnchecking"));
  try {
    await loadWarn();
    const res = JSON.parse(await safetrace.warn.preview(manifestText, JSON.stringify(w.req), w.file));
    if (!res.ok) { warnFailed(res); return; }
    const p = res.preview;
    setStatus("warnpreview", t("warnpreview", { venue: p.room ? p.name + " (" + p.room + ")" : p.name, from: fmtWhen(p.from), to: fmtWhen(p.to), n: p.records }));
    setStatus("warnstatus", "");
    warnChecked = w;
    $("warnsend").hidden = false;
    $("warnsend").focus();
  } catch (e) {
    setStatus("warnstatus", e.message, true);
  }
}
async function warnSend() {
  const w = warnChecked;
  if (!w) return;
  $("warnsend").disabled = true;
  setStatus("warnstatus", t("warnsending"));
  try {
    await loadWarn();
    const res = JSON.parse(await safetrace.warn.send(manifestText, JSON.stringify(w.req), w.file, 60000));
    if (!res.ok) { warnFailed(res); return; }
    $("warnsend").hidden = true;
    warnChecked = null;
    setStatus("warnstatus", t("warnsent"));
  } catch (e) {
    setStatus("warnstatus", e.message, true);
  } finally {
    $("warnsend").disabled = false;
  }
}

async function main() {
  PagesI18n.init(TEXT, $("lang"));
  PagesI18n.onChange(() => {
    fillCategories();
    $("origininfo").textContent = t("origin", { origin });
    preview();
  });
  try {
    await Promise.all([loadWasm(), loadOrigin()]);
  } catch (e) {
    setStatus("loadstatus", t("loadfail", { err: e.message }), true);
    return;
  }
  categories = await safetrace.poster.categories();
  fillCategories();
  $("loadstatus").dataset.i18n = "ready";
  setStatus("loadstatus", t("ready"));
  for (const id of ["renew", "batch"]) $(id).disabled = false;
  $("form").addEventListener("input", (e) => {
    if (e.target.id === "stay") stayEdited = $("stay").value !== "";
    if (e.target.id === "category") updateStayHint();
    schedulePreview();
  });
  $("form").addEventListener("submit", (e) => e.preventDefault());
  for (const fmt of ["pdf", "png", "svg"]) $("dl-" + fmt).addEventListener("click", () => download(fmt));
  $("renew").addEventListener("click", async () => {
    await safetrace.poster.renew();
    setStatus("formstatus", t("renewed"));
    preview();
  });
  $("batch").addEventListener("click", batch);
  $("warnform").addEventListener("submit", (e) => { e.preventDefault(); warnCheck(); });
  $("warnform").addEventListener("input", () => { // a changed form needs a new check
    if (warnChecked) { warnChecked = null; $("warnsend").hidden = true; setStatus("warnpreview", ""); }
  });
  $("warnsend").addEventListener("click", warnSend);
  $("warnuse").addEventListener("click", () => {
    if ($("preview").dataset.url) $("warnurl").value = $("preview").dataset.url;
    $("warnfile").value = "";
    $("warnform").dispatchEvent(new Event("input"));
  });
  $("warncheck").disabled = false;
  document.body.dataset.ready = "1";
  preview();
}

main();
