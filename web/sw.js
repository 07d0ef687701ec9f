// SafeTrace service worker: keeps the app shell and the WebAssembly client
// in a cache so the app opens fast and check-ins work offline. The built
// files of web/dist are named after their content (web/dist/assets.js lists
// them), so they are served from the cache without asking the network. The
// rest of the shell is served from the cache too and refreshed in the
// background (the next start gets the update); the manifest goes to the
// network first; the deployment status is never cached. Served at /sw.js so
// its scope is the whole app. A new build changes assets.js, which the
// browser's update check of this worker compares too: the new worker caches
// the new files and deletes the old cache.
"use strict";

importScripts("/web/dist/assets.js");
const DIST = ["app.wasm", "wasm_exec.js"].map((k) => "/web/dist/" + self.safetraceAssets[k]);
const CACHE = "safetrace-" + self.safetraceAssets["app.wasm"];
const SHELL = [
  "/", "/web/app.js", "/web/app.css", "/web/go.js", "/web/go-worker.js", "/web/manifest.webmanifest",
  "/web/i18n/en.json", "/web/i18n/de.json", "/web/dist/assets.js",
  "/web/icons/icon.svg", "/web/icons/icon-192.png", "/web/icons/icon-512.png",
];
const NETWORK_FIRST = ["/api/manifest.json"];

self.addEventListener("install", (ev) => {
  ev.waitUntil(caches.open(CACHE).then((c) => c.addAll([...SHELL, ...DIST, ...NETWORK_FIRST])).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (ev) => {
  ev.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (ev) => {
  const url = new URL(ev.request.url);
  if (ev.request.method !== "GET" || url.origin !== location.origin || url.pathname === "/api/status") return;
  const key = url.pathname; // a navigation to "/?x" or "/#v1..." is "/" too
  if (DIST.includes(key)) {
    ev.respondWith(caches.open(CACHE).then(async (cache) => {
      const hit = await cache.match(key);
      if (hit) return hit;
      const resp = await fetch(ev.request);
      if (resp.ok) cache.put(key, resp.clone());
      return resp;
    }));
    return;
  }
  if (SHELL.includes(key)) {
    ev.respondWith(caches.open(CACHE).then(async (cache) => {
      const hit = await cache.match(key);
      const update = fetch(ev.request).then((resp) => {
        if (resp.ok) return cache.put(key, resp.clone()).then(() => resp);
        return resp;
      });
      if (hit) {
        ev.waitUntil(update.catch(() => {}));
        return hit;
      }
      return update;
    }));
    return;
  }
  ev.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const resp = await fetch(ev.request);
      if (resp.ok && NETWORK_FIRST.includes(key)) cache.put(key, resp.clone());
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
