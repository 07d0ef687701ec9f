// SafeTrace service worker: keeps the app shell and the WebAssembly client
// in a cache so the app opens and check-ins work offline. Same-origin GETs
// go to the network first (a fresh app when online) and fall back to the
// cache; the deployment status is never cached. Served at /sw.js so its
// scope is the whole app.
"use strict";

const CACHE = "safetrace-v1";
const SHELL = [
  "/", "/web/app.js", "/web/app.css", "/web/manifest.webmanifest",
  "/web/i18n/en.json", "/web/i18n/de.json",
  "/web/dist/wasm_exec.js", "/web/dist/safetrace.wasm",
  "/web/icons/icon.svg", "/web/icons/icon-192.png", "/web/icons/icon-512.png",
  "/api/manifest.json",
];

self.addEventListener("install", (ev) => {
  ev.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (ev) => {
  ev.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (ev) => {
  const url = new URL(ev.request.url);
  if (ev.request.method !== "GET" || url.origin !== location.origin || url.pathname === "/api/status") return;
  const key = ev.request.mode === "navigate" ? "/" : url.pathname;
  ev.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const resp = await fetch(ev.request);
      if (resp.ok && SHELL.includes(key)) cache.put(key, resp.clone());
      return resp;
    } catch (e) {
      const hit = await cache.match(key);
      if (hit) return hit;
      throw e;
    }
  })());
});

self.addEventListener("notificationclick", (ev) => {
  ev.notification.close();
  ev.waitUntil(self.clients.matchAll({ type: "window" }).then((cs) => cs.length ? cs[0].focus() : self.clients.openWindow("/")));
});
