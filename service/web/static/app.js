/* The web page's entry: it asks for an API key, keeps it in sessionStorage and reads the API with it,
 * so a key sees on the page exactly what it may read through the API. A company key opens its inbox, a
 * facilitator the round console and the map, a planner the map. Plain JavaScript modules, no build step. */

import { $, api, loadCatalog, note, state } from "./core.js";
import { applyLabels, currentLang, setLang, t } from "./i18n.js";
import { redrawConsole, showConsole, startConsole } from "./console.js";
import { redrawInbox, showInbox, startInbox } from "./inbox.js";
import { redrawMap, showMap, startMap } from "./map.js";

const KEY_STORE = "symbiosis.apiKey";

function setStatus(text, error = false) {
  note($("status"), text, error);
  $("status").hidden = !text;
}

async function open(key) {
  state.key = key;
  setStatus(t("loading"));
  try {
    state.me = await api("me");
  } catch (error) {
    sessionStorage.removeItem(KEY_STORE);
    state.key = null;
    setStatus(error.status === 401 ? t("key.unknown") : t("key.failed", { msg: error.message }), true);
    return;
  }
  sessionStorage.setItem(KEY_STORE, key);
  $("key-input").value = "";
  $("key-forget").hidden = false;
  showWho();
  try {
    await loadCatalog();
    await load();
  } catch (error) {
    setStatus(t("load.failed", { msg: error.message }), true);
  }
}

function showWho() {
  if (!state.me) return;
  const role = t(`role.${state.me.role}`);
  $("who").hidden = false;
  $("who").textContent = state.me.company_id ? `${role} · ${state.me.company_id}` : role;
}

async function load() {
  const role = state.me.role;
  setStatus("");
  if (role === "company") {
    await showInbox();
  } else if (role === "facilitator") {
    await showMap();
    await showConsole();
  } else if (role === "planner") {
    await showMap();
  } else {
    setStatus(t("role.other", { role: t(`role.${role}`) }));
  }
}

function forget() {
  sessionStorage.removeItem(KEY_STORE);
  window.location.reload();
}

function switchLanguage(lang) {
  setLang(lang);
  $("lang-select").value = currentLang();
  showWho();
  if (!state.me) setStatus(t("key.prompt"));
  redrawInbox();
  redrawMap();
  redrawConsole();
}

function start() {
  applyLabels();
  $("lang-select").value = currentLang();
  setStatus(t("key.prompt"));
  $("lang-select").addEventListener("change", (event) => switchLanguage(event.target.value));
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("key-input").value.trim();
    if (key) open(key);
  });
  $("key-forget").addEventListener("click", forget);
  startInbox();
  startMap();
  startConsole();
  const saved = sessionStorage.getItem(KEY_STORE);
  if (saved) open(saved);
}

start();
