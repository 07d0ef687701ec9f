// SafeTrace Go worker: runs the pages' Go modules (WebAssembly, web/dist)
// off the page's main thread, so that their download, compilation and the
// Go runtime's start never block a paint or a tap. The page talks to it
// through web/go.js:
//
//	{load: "app.wasm"}                          -> {loaded: "app.wasm"[, error]}
//	{id, feature, method, args, load}           -> {id, result} or {id, error}
//
// A call waits until the module that sets safetrace[feature] (named by
// load) is running, then calls safetrace[feature][method](...args) (the
// Promise-returning functions of wasm/internal/jsbridge) and posts the
// result back (structured clone: strings, numbers, plain objects,
// Uint8Arrays). The module's network use (fetch, WebSocket to the relays)
// works here as in a page; this worker's script is served with the app's
// Content-Security-Policy.
"use strict";

importScripts("dist/assets.js");
importScripts("dist/" + self.safetraceAssets["wasm_exec.js"]);

// Modules are compiled as their bytes arrive (compileStreaming) and, one at
// a time, instantiated and run: jsbridge.Run calls safetraceReady once the
// module's features are on self.safetrace.
const modules = {};
let running = Promise.resolve();
function load(name) {
  if (!modules[name]) {
    const file = self.safetraceAssets[name];
    if (!file) return Promise.reject(new Error("no module " + name));
    const compiled = WebAssembly.compileStreaming(fetch("dist/" + file));
    modules[name] = running = running.catch(() => {}).then(async () => {
      const mod = await compiled;
      const go = new Go();
      const instance = await WebAssembly.instantiate(mod, go.importObject);
      const ready = new Promise((resolve) => { self.safetraceReady = resolve; });
      go.run(instance); // never returns: jsbridge.Run blocks for good
      await ready;
    });
    modules[name].catch(() => { delete modules[name]; }); // a later call tries again
  }
  return modules[name];
}

const message = (e) => (e && e.message) || String(e);

self.onmessage = async (ev) => {
  const m = ev.data;
  if (m.id === undefined) {
    try {
      await load(m.load);
      self.postMessage({ loaded: m.load });
    } catch (e) {
      self.postMessage({ loaded: m.load, error: message(e) });
    }
    return;
  }
  try {
    await load(m.load);
    const f = self.safetrace && self.safetrace[m.feature];
    if (!f || typeof f[m.method] !== "function") throw new Error(`safetrace.${m.feature}.${m.method} is not a function`);
    const result = await f[m.method](...m.args);
    self.postMessage({ id: m.id, result });
  } catch (e) {
    self.postMessage({ id: m.id, error: message(e) });
  }
};
