// SafeTrace pages' side of the Go worker (web/go-worker.js), which runs the
// Go modules off the main thread. A page loads it from its head:
//
//	<script defer src="web/go.js" data-module="app.wasm" data-feature="app"></script>
//
// which starts the worker and the module's download at once. Then
// self.safetraceGo.module(name, feature) (for the named module, or another
// one, loaded on first use) returns {ready, api}: ready resolves once the
// module runs (and rejects if it cannot be loaded); api.method(...args)
// returns a Promise of safetrace[feature].method(...args) run in the
// worker. The same object is self.safetrace[feature], as if the module ran
// in the page. A call made before the module is ready waits for it;
// nothing is answered by the page itself.
//
// With self.__safetraceGoInPage set before this script runs, the modules
// run in the page instead, as before there was a worker. The browser tests
// use it to measure the modules' CPU cost under Chromium's CPU throttling,
// which applies to a page's main thread but not to its workers.
"use strict";
(() => {
  const me = document.currentScript;
  const base = new URL(".", me.src);
  let worker = null, seq = 0;
  const calls = new Map(), modules = new Map();

  function fail(err) {
    for (const c of calls.values()) c.reject(err);
    calls.clear();
    for (const m of modules.values()) m.reject(err);
    modules.clear();
    worker = null;
  }
  function start() {
    if (worker) return worker;
    worker = new Worker(new URL("go-worker.js", base));
    worker.onmessage = (ev) => {
      const m = ev.data;
      if (m.id === undefined) {
        const mod = modules.get(m.loaded);
        if (!mod) return;
        if (m.error) { modules.delete(m.loaded); mod.reject(new Error(m.error)); } else mod.resolve();
        return;
      }
      const c = calls.get(m.id);
      if (!c) return;
      calls.delete(m.id);
      if ("error" in m) c.reject(new Error(m.error)); else c.resolve(m.result);
    };
    worker.onerror = (ev) => { ev.preventDefault(); fail(new Error(ev.message || "the Go worker failed")); };
    return worker;
  }

  // ---- in the page (self.__safetraceGoInPage)
  const script = (src) => new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error(src + " did not load"));
    document.head.append(s);
  });
  let loader = null, running = Promise.resolve();
  function runInPage(name) {
    if (!loader) loader = script(new URL("dist/assets.js", base)).then(() => script(new URL("dist/" + self.safetraceAssets["wasm_exec.js"], base)));
    const compiled = loader.then(() => WebAssembly.compileStreaming(fetch(new URL("dist/" + self.safetraceAssets[name], base))));
    return (running = running.catch(() => {}).then(async () => {
      const mod = await compiled;
      const go = new Go();
      const instance = await WebAssembly.instantiate(mod, go.importObject);
      const ready = new Promise((resolve) => { self.safetraceReady = resolve; });
      go.run(instance);
      await ready;
    }));
  }

  function module(name, feature) {
    const inPage = !!self.__safetraceGoInPage;
    let mod = modules.get(name);
    if (!mod) {
      mod = {};
      mod.ready = new Promise((resolve, reject) => { mod.resolve = resolve; mod.reject = reject; });
      mod.ready.catch(() => {}); // the callers see it through ready or their calls
      modules.set(name, mod);
      if (inPage) runInPage(name).then(mod.resolve, (e) => { modules.delete(name); mod.reject(e); });
      else start().postMessage({ load: name });
    }
    const call = inPage
      ? async (method, args) => { await mod.ready; return self.safetrace[feature][method](...args); }
      : (method, args) => new Promise((resolve, reject) => {
        const id = ++seq;
        calls.set(id, { resolve, reject });
        start().postMessage({ id, load: name, feature, method, args });
      });
    // Any method name; "then" stays undefined so that the object is not
    // taken for a Promise.
    const api = new Proxy({}, {
      get: (_, method) => (typeof method !== "string" || method === "then" ? undefined : (...args) => call(method, args)),
    });
    if (!inPage) {
      self.safetrace = self.safetrace || {};
      self.safetrace[feature] = api;
    }
    return { ready: mod.ready, api };
  }

  self.safetraceGo = { module };
  if (me.dataset.module) module(me.dataset.module, me.dataset.feature);
})();
