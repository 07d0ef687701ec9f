// Deployment status for the development page: polls /api/status, which
// "safetrace dev" serves from the parties' and the relay's /healthz.
"use strict";

async function refresh() {
  const summary = document.getElementById("summary");
  const body = document.getElementById("components");
  try {
    const resp = await fetch("api/status", { cache: "no-store" });
    if (!resp.ok) throw new Error("HTTP " + resp.status);
    const st = await resp.json();
    summary.textContent = `Deployment "${st.deployment}", ${st.n} parties, threshold ${st.t}, ` +
      `relays ${st.relays.join(", ")}. Manifest ${st.manifest}.`;
    body.replaceChildren(...st.components.map((c) => {
      const tr = document.createElement("tr");
      const state = c.ok ? (c.health && c.health.status === "degraded" ? "degraded" : "up") : "down";
      let details = c.error || "";
      if (c.health && typeof c.health === "object") {
        details = `relays registered: ${c.health.relays_registered}/${c.health.relays}`;
      }
      for (const [text, cls] of [[c.name, ""], [state, c.ok ? "ok" : "down"], [details, ""]]) {
        const td = document.createElement("td");
        td.textContent = text;
        if (cls) td.className = cls;
        tr.appendChild(td);
      }
      return tr;
    }));
  } catch (e) {
    summary.textContent = "Status unavailable: " + e.message;
  }
}

refresh();
setInterval(refresh, 2000);
