// English and German texts of the venue owner page and the dashboard.
// Elements carry data-i18n="key" (text) or data-i18n-attr="attr:key,..."; the
// language is the saved choice, else the browser's, else English.
"use strict";

const PagesI18n = (() => {
  let dict = { en: {}, de: {} };
  let lang = "en";
  const listeners = [];

  function pick() {
    const saved = localStorage.getItem("safetrace.lang");
    if (saved === "en" || saved === "de") return saved;
    for (const l of navigator.languages || [navigator.language || "en"]) {
      const p = l.toLowerCase().slice(0, 2);
      if (p === "de" || p === "en") return p;
    }
    return "en";
  }

  // t returns the text for key, with {name} placeholders filled from vars.
  function t(key, vars) {
    let s = (dict[lang] && dict[lang][key]) ?? dict.en[key] ?? key;
    for (const [k, v] of Object.entries(vars || {})) s = s.replaceAll("{" + k + "}", v);
    return s;
  }

  function apply() {
    document.documentElement.lang = lang;
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const el of document.querySelectorAll("[data-i18n-attr]")) {
      for (const pair of el.dataset.i18nAttr.split(",")) {
        const [attr, key] = pair.split(":");
        el.setAttribute(attr.trim(), t(key.trim()));
      }
    }
    if (dict[lang]["title"]) document.title = t("title");
    listeners.forEach((f) => f(lang));
  }

  // init installs the page's dictionary and wires the language select.
  function init(d, select) {
    dict = d;
    lang = pick();
    if (select) {
      select.value = lang;
      select.addEventListener("change", () => {
        lang = select.value;
        localStorage.setItem("safetrace.lang", lang);
        apply();
      });
    }
    apply();
  }

  return { init, t, onChange: (f) => listeners.push(f), lang: () => lang };
})();
