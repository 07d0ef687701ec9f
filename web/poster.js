// Venue owner page: the form drives safetrace.poster.* (Go compiled to
// WebAssembly, wasm/internal/posterkit), which makes the posters in this browser.
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
    cat_restaurant: "Restaurant", cat_bar: "Bar", cat_office: "Büro", cat_retail: "Geschäft", cat_gym: "Fitnessstudio",
    cat_school: "Schule", cat_event: "Veranstaltung", cat_transport: "Verkehrsmittel", cat_other: "Sonstiges",
  },
};

const t = PagesI18n.t;
const $ = (id) => document.getElementById(id);
let categories = [];
let origin = "http://localhost:8080";
let stayEdited = false;

function setStatus(id, text, isError) {
  const e = $(id);
  e.textContent = text;
  e.classList.toggle("error", !!isError);
}

// loadWasm starts the Go program and waits until it has set up safetrace.poster.
async function loadWasm() {
  // dist/assets.js, a deferred script, starts the download and the loader.
  if (document.readyState === "loading") await new Promise((r) => document.addEventListener("DOMContentLoaded", r, { once: true }));
  const resp = await self.safetraceLoad;
  const go = new Go();
  const { instance } = await WebAssembly.instantiateStreaming(resp, go.importObject);
  go.run(instance);
  for (let i = 0; !(globalThis.safetrace && globalThis.safetrace.poster); i++) {
    if (i > 500) throw new Error("safetrace.poster missing");
    await new Promise((r) => setTimeout(r, 20));
  }
}

// loadOrigin reads the deployment's app origin; offline, the last one seen.
async function loadOrigin() {
  try {
    const resp = await fetch("/api/manifest.json", { cache: "no-store" });
    if (resp.ok) {
      const m = await resp.json();
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
  document.body.dataset.ready = "1";
  preview();
}

main();
