/* The facilitator console: create a round (scope by municipality or a box drawn on the map, material
 * classes, objective, options), watch its progress, cancel, run again, review its proposals in a table
 * with paging, sorting, search and a status filter, send them, follow the answers, and export them. */

import {
  $, DataTable, all, api, apiPaths, badge, download, el, materialLabel, note, saveBlob,
} from "./core.js";
import { currentLang, fmt, known, t } from "./i18n.js";
import { drawBox, nameOf, municipalities } from "./map.js";

/** The stages a round reports, each with a label in both languages. */
const STAGES = new Set(["snapshot", "matching", "candidates", "parts", "saving"]);

const POLL_MS = 1000;
const ACTIVE = ["queued", "running"];
const rounds = { list: [], current: null, proposals: [], reasons: new Map(), table: null, timer: null, workbook: null };

export async function showConsole() {
  $("console-view").hidden = false;
  fillMunicipalities();
  rounds.table = new DataTable($("proposal-table"), {
    columns: proposalColumns(), filterKey: "status",
    filterValues: ["draft", "sent", "accepted", "declined", "superseded"], emptyText: () => t("prop.empty"),
  });
  const paths = await apiPaths();
  rounds.workbook = paths.find((p) => /^\/api\/v1\/rounds\/\{round_id\}\/(export|results|workbook)/.test(p)) || null;
  $("round-workbook").hidden = !rounds.workbook;
  await loadRounds();
}

export function redrawConsole() {
  if ($("console-view").hidden) return;
  fillMunicipalities();
  drawRoundList();
  drawRound();
  rounds.table.columns = proposalColumns();
  rounds.table.draw();
}

function fillMunicipalities() {
  const select = $("round-municipalities");
  const chosen = new Set([...select.selectedOptions].map((o) => o.value));
  select.replaceChildren(...municipalities().map((m) => el("option", { value: m, selected: chosen.has(m) }, m)));
}

/** A side's answer, with the reason a company gave for declining (from the audit log). */
function decision(p, side) {
  const value = p[`${side}_decision`];
  const reason = value === "declined" && rounds.reasons.get(`${p.id}:${side}`);
  return reason ? el("span", {}, badge(value), el("span", { className: "reason" }, t("prop.reason", { reason }))) : badge(value);
}

/** Why companies declined, from the audit log (facilitators may read it): "proposal id:side" -> reason. */
async function loadReasons() {
  rounds.reasons = new Map();
  if (!rounds.proposals.some((p) => p.status === "declined")) return;
  const entries = await all("audit?entity=proposal&action=declined");
  for (const entry of entries) {
    if (entry.changes && entry.changes.reason) rounds.reasons.set(`${entry.entity_id}:${entry.changes.side}`, entry.changes.reason);
  }
}

function proposalColumns() {
  return [
    { key: "id", label: () => t("prop.id"), numeric: true, cell: (p) => String(p.id) },
    { key: "supplier", label: () => t("prop.supplier"), value: (p) => nameOf(p.supplier_id) },
    { key: "receiver", label: () => t("prop.receiver"), value: (p) => nameOf(p.receiver_id) },
    { key: "material", label: () => t("prop.material"), value: (p) => `${p.material} → ${p.need_material}`,
      cell: (p) => el("span", { title: materialLabel(p.material) }, `${p.material} → ${p.need_material}`) },
    { key: "quantity", label: () => t("prop.quantity"), numeric: true, value: (p) => p.quantity, cell: (p) => `${fmt(p.quantity)} ${p.unit}` },
    { key: "distance_km", label: () => t("prop.km"), numeric: true, cell: (p) => fmt(p.distance_km, 1) },
    { key: "value_eur", label: () => t("prop.value"), numeric: true, value: (p) => p.indicators.value_eur ?? -Infinity,
      cell: (p) => known(p.indicators.value_eur) },
    { key: "status", label: () => t("prop.status"), cell: (p) => badge(p.status) },
    { key: "supplier_decision", label: () => t("prop.supplier_says"), value: (p) => p.supplier_decision || "", cell: (p) => decision(p, "supplier") },
    { key: "receiver_decision", label: () => t("prop.receiver_says"), value: (p) => p.receiver_decision || "", cell: (p) => decision(p, "receiver") },
    { key: "explanation", label: () => t("prop.explanation"),
      cell: (p) => el("details", {}, el("summary", {}, t("prop.why")), el("p", {}, p.explanation)) },
  ];
}

// --- creating a round ----------------------------------------------------------------------------

function roundBody() {
  const scope = {};
  const kind = $("round-scope").value;
  if (kind === "municipalities") {
    scope.municipalities = [...$("round-municipalities").selectedOptions].map((o) => o.value);
    if (!scope.municipalities.length) throw new Error(t("round.scope_no_municipality"));
  } else if (kind === "box") {
    const corners = ["min-lon", "min-lat", "max-lon", "max-lat"].map((id) => $(`round-${id}`).value.trim());
    if (corners.some((value) => value === "" || !Number.isFinite(Number(value)))) throw new Error(t("round.scope_no_box"));
    scope.bbox = corners.map(Number);
  }
  const classes = $("round-classes").value.split(",").map((s) => s.trim()).filter(Boolean);
  if (classes.length) scope.material_classes = classes;
  const options = { max_candidates: Number($("round-max-candidates").value), check_availability: $("round-availability").checked };
  const limit = $("round-time-limit").value;
  if (limit) options.time_limit_s = Number(limit);
  return { name: $("round-name").value.trim() || t("round.name_default"), scope, objective: $("round-objective").value, options };
}

async function createRound(event) {
  event.preventDefault();
  const status = $("round-form-status");
  try {
    const round = await api("rounds", { method: "POST", body: roundBody() });
    note(status, t("round.created", { id: round.id }));
    await loadRounds(round.id);
  } catch (error) {
    note(status, t("error", { msg: error.message }), true);
  }
}

function scopeChanged() {
  const kind = $("round-scope").value;
  $("round-scope-municipalities").hidden = kind !== "municipalities";
  $("round-scope-box").hidden = kind !== "box";
}

function startDrawing() {
  note($("round-form-status"), t("round.draw_hint"));
  drawBox((bounds) => {
    const [minLon, minLat, maxLon, maxLat] = bounds;
    $("round-min-lon").value = minLon.toFixed(4);
    $("round-min-lat").value = minLat.toFixed(4);
    $("round-max-lon").value = maxLon.toFixed(4);
    $("round-max-lat").value = maxLat.toFixed(4);
    note($("round-form-status"), "");
  });
}

// --- a round -------------------------------------------------------------------------------------

async function loadRounds(select) {
  rounds.list = await all("rounds");
  rounds.list.sort((a, b) => b.id - a.id);
  const id = select ?? (rounds.current ? rounds.current.id : rounds.list[0] && rounds.list[0].id);
  rounds.current = rounds.list.find((r) => r.id === Number(id)) || null;
  drawRoundList();
  await showRound();
}

function drawRoundList() {
  const select = $("round-select");
  select.replaceChildren(...rounds.list.map((r) => el("option", { value: r.id }, `#${r.id} ${r.name} (${t(`status.${r.status}`)})`)));
  if (rounds.current) select.value = rounds.current.id;
  $("round-detail").hidden = !rounds.current;
  $("round-none").hidden = Boolean(rounds.current);
}

async function showRound() {
  clearTimeout(rounds.timer);
  drawRound();
  const round = rounds.current;
  if (!round) return;
  if (ACTIVE.includes(round.status)) {
    rounds.proposals = [];
    rounds.table.setRows([]);
    rounds.timer = setTimeout(poll, POLL_MS);
    return;
  }
  rounds.proposals = await all(`proposals?round_id=${round.id}`);
  await loadReasons();
  rounds.table.setRows(rounds.proposals);
  drawRound();
}

async function poll() {
  const round = rounds.current;
  if (!round) return;
  try {
    rounds.current = await api(`rounds/${round.id}`);
    const index = rounds.list.findIndex((r) => r.id === round.id);
    if (index >= 0) rounds.list[index] = rounds.current;
    drawRoundList();
    await showRound();
  } catch (error) {
    note($("round-status"), t("error", { msg: error.message }), true);
  }
}

function drawRound() {
  const round = rounds.current;
  if (!round) return;
  const running = ACTIVE.includes(round.status);
  const pct = Math.round((running ? round.progress : round.status === "succeeded" ? 1 : round.progress) * 100);
  $("round-progress").value = pct;
  $("round-progress-text").textContent = t("round.progress", {
    status: t(`status.${round.status}`), pct, stage: running && round.stage ? ` · ${STAGES.has(round.stage) ? t(`stage.${round.stage}`) : round.stage}` : "" });
  $("round-message").textContent = round.status === "failed" ? t("round.failed_msg", { msg: round.message || "" }) : (round.message || "");
  $("round-cancel").disabled = !running;
  $("round-run").disabled = running;
  const drafts = rounds.proposals.filter((p) => p.status === "draft").length;
  $("round-send").disabled = running || round.status !== "succeeded" || drafts === 0;
  $("round-csv").disabled = !rounds.proposals.length;
  const counts = {};
  for (const p of rounds.proposals) counts[p.status] = (counts[p.status] || 0) + 1;
  $("round-summary").textContent = Object.entries(counts).map(([s, n]) => `${fmt(n)} ${t(`status.${s}`)}`).join(", ");
}

async function act(path, message) {
  const round = rounds.current;
  try {
    const result = await api(`rounds/${round.id}/${path}`, { method: "POST" });
    note($("round-status"), message ? message(result) : "");
  } catch (error) {
    note($("round-status"), t("error", { msg: error.message }), true);
  }
  await loadRounds(round.id);
}

/** A cell of a CSV file: quoted when needed; a number with the decimal mark of ``danish`` notation;
 * text that a spreadsheet would run as a formula is prefixed with '. */
function csvCell(value, danish = false) {
  if (typeof value === "number") return danish ? String(value).replace(".", ",") : String(value);
  let text = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text) && Number.isNaN(Number(text))) text = `'${text}`;
  return /[",\n\r;]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const CSV_FIELDS = ["id", "round_id", "status", "offer_id", "need_id", "supplier_id", "receiver_id", "material", "need_material",
  "quantity", "unit", "need_quantity", "need_unit", "distance_km", "transport_mode", "supplier_decision", "receiver_decision"];
const CSV_INDICATORS = ["resource_t", "water_m3", "co2e_t", "energy_mwh", "waste_t", "value_eur", "transport_co2e_t"];

/** The proposals as CSV that Excel opens right: a byte-order mark (æøå), and on the Danish page
 * ``;`` between fields and a decimal comma, as the command line's --danish-csv writes. */
export function proposalsCsv(proposals, danish = currentLang() === "da") {
  const economics = proposals.length && proposals[0].economics ? Object.keys(proposals[0].economics) : [];
  const header = [...CSV_FIELDS, ...CSV_INDICATORS, ...economics, "explanation"];
  const sep = danish ? ";" : ",";
  const lines = proposals.map((p) => [...CSV_FIELDS.map((f) => p[f]), ...CSV_INDICATORS.map((f) => p.indicators[f]),
    ...economics.map((f) => p.economics[f]), p.explanation].map((value) => csvCell(value, danish)).join(sep));
  return `\uFEFF${[header.join(sep), ...lines].join("\r\n")}\r\n`;
}

function exportCsv() {
  const round = rounds.current;
  saveBlob(new Blob([proposalsCsv(rounds.proposals)], { type: "text/csv;charset=utf-8" }), `round-${round.id}-proposals.csv`);
}

async function exportWorkbook() {
  const round = rounds.current;
  try {
    await download(rounds.workbook.replace("/api/v1/", "").replace("{round_id}", round.id), `round-${round.id}.xlsx`);
  } catch (error) {
    note($("round-status"), t("download.failed", { msg: error.message }), true);
  }
}

export function startConsole() {
  $("round-form").addEventListener("submit", createRound);
  $("round-scope").addEventListener("change", scopeChanged);
  $("round-draw").addEventListener("click", startDrawing);
  $("round-select").addEventListener("change", (event) => {
    loadRounds(Number(event.target.value)).catch((error) => note($("round-status"), error.message, true));
  });
  $("round-run").addEventListener("click", () => act("run"));
  $("round-cancel").addEventListener("click", () => act("cancel"));
  $("round-send").addEventListener("click", () => act("send", (r) => t("round.sent", { n: fmt(r.sent) })));
  $("round-refresh").addEventListener("click", () => loadRounds(rounds.current && rounds.current.id));
  $("round-csv").addEventListener("click", exportCsv);
  $("round-workbook").addEventListener("click", exportWorkbook);
  scopeChanged();
}
