/* The planner map (also the facilitator's): companies and exchange lines coloured by material class,
 * crowded companies aggregated on a screen grid, line width by quantity with units, filters that also
 * filter the panels and re-zoom the map, unmatched-supply hotspots and processor sites drawn, keystones,
 * resilience, scenarios with their comparison, and downloads of the exports with the key. */

import {
  $, ApiError, api, apiPaths, branchName, canonicalUnit, download, el, fillTable, materialLabel, materialName, note, state,
} from "./core.js";
import { currentLang, fmt, parseNumber, t } from "./i18n.js";

const OUTLINE_URL = "static/vendor/natural-earth/outline_denmark.geojson";
const INDICATORS = [["resource_t", "t"], ["water_m3", "m³"], ["co2e_t", "t"], ["energy_mwh", "MWh"], ["waste_t", "t"],
  ["transport_co2e_t", "t CO₂e"]];
/** Nineteen distinguishable colours (Tableau 20 without its grey) for the largest material classes;
 * every other class is drawn grey as "other materials". */
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf",
  "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d", "#9edae5", "#393b79"];
const OTHER_COLOUR = "#7f7f7f";
/** Companies are aggregated on a grid of this many screen pixels once more than CLUSTER_FROM are shown. */
const CELL_PX = 44;
const CLUSTER_FROM = 150;
/** Hotspots listed in the panel, the largest first (all are drawn on the map). */
const HOTSPOT_ROWS = 12;
const DOWNLOADS = [
  ["geojson", "analytics/export/geojson", "network.geojson"],
  ["graphml", "analytics/export/graphml", "network.graphml"],
  ["csv_exchanges", "analytics/export/csv?table=exchanges", "exchanges.csv"],
  ["csv_companies", "analytics/export/csv?table=companies", "companies.csv"],
  ["csv_keystones", "analytics/export/csv?table=keystones", "keystones.csv"],
];

const view = {
  map: null, layers: null, network: { nodes: [], edges: [] }, nodesById: new Map(), groups: new Map(),
  widthScale: null, keystones: [], hotspots: [], sites: [], scenarios: [], box: null, fitted: false,
};

// --- material classes -------------------------------------------------------------------------

/** The material class of an offered material: the chapter of a waste code ("10"), or the class id. */
export function groupOf(material) {
  const m = /^(\d{2})\s?\d{2}\s?\d{2}/.exec(material);
  return m ? m[1] : material;
}

function groupName(group) {
  const c = state.catalog;
  if (group === "other") return t("map.other_materials");
  if (/^\d{2}$/.test(group)) return `${group} ${(c && c.ewc_chapters[group]) || ""}`.trim();
  return materialName(group) || group;
}

function materialsOf(edge) {
  return String(edge.materials || "").split(",").filter(Boolean);
}

/** Colours for the nineteen classes that carry the most, counted once on the whole network (so a
 * class keeps its colour when the filters change). */
function prepareGroups() {
  const weight = new Map();
  for (const e of view.network.edges) {
    for (const m of materialsOf(e)) weight.set(groupOf(m), (weight.get(groupOf(m)) || 0) + (e.exchanges || 1));
  }
  const ranked = [...weight.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([g]) => g);
  view.groups = new Map(ranked.map((g, i) => [g, i < PALETTE.length ? PALETTE[i] : OTHER_COLOUR]));
  const quantities = view.network.edges.map((e) => e.quantity).filter((q) => q > 0);
  const low = Math.log10(Math.min(...quantities, 1e12));
  const high = Math.log10(Math.max(...quantities, 1));
  view.widthScale = (q) => (!(q > 0) || !(high > low) ? 4 : 2 + 8 * (Math.log10(q) - low) / (high - low));
}

function colourOf(edge) {
  const materials = materialsOf(edge);
  return view.groups.get(groupOf(materials[0] || "")) || OTHER_COLOUR;
}

function unitOf(edge) {
  const units = new Set(materialsOf(edge).map(canonicalUnit));
  return units.size === 1 ? [...units][0] : t("map.mixed_units");
}

// --- names ------------------------------------------------------------------------------------

function label(node) { return node.name || node.company_id; }

export function nameOf(companyId) {
  const node = view.nodesById.get(companyId);
  return node ? label(node) : companyId;
}

export function municipalities() {
  return [...new Set(view.network.nodes.map((n) => n.municipality).filter(Boolean))].sort((a, b) => a.localeCompare(b, currentLang()));
}

// --- loading ----------------------------------------------------------------------------------

export async function showMap() {
  $("content").hidden = false;
  const config = await api("web-config");
  await initMap(config);
  const network = await api("analytics/network");
  view.network = network;
  view.nodesById = new Map(network.nodes.map((n) => [n.company_id, n]));
  prepareGroups();
  fillFilters();
  redraw(true);
  note($("status"), network.private ? t("private") : "");
  $("status").hidden = !network.private;
  await Promise.all([loadKeystones(), loadHotspots(), loadScenarios(), showDownloads(), loadAggregates()]);
  fillCompanySelects();
}

export function redrawMap() {
  if ($("content").hidden) return;
  fillFilters();
  fillCompanySelects();
  redraw(false);
  drawKeystones();
  drawHotspots();
  drawAggregates();
  compareScenarios().catch(() => {});
  if (view.network.private) note($("status"), t("private"));
}

async function initMap(config) {
  if (view.map) return;
  const map = L.map("map", { zoomSnap: 0.25, worldCopyJump: false, zoomControl: false });
  view.map = map;
  // the zoom buttons' titles in the page's language (Leaflet's own are English)
  L.control.zoom({ zoomInTitle: t("map.zoom_in"), zoomOutTitle: t("map.zoom_out") }).addTo(map);
  if (config && config.map_tiles_url) {
    $("map").classList.add("tiles");
    L.tileLayer(config.map_tiles_url, { maxZoom: 19, attribution: config.map_tiles_attribution || "" }).addTo(map);
  } else {
    const response = await fetch(OUTLINE_URL);
    L.geoJSON(await response.json(), {
      interactive: false,
      style: (feature) => ({ className: feature.properties.name === "Denmark" ? "outline outline-home" : "outline" }),
    }).addTo(map);
    map.attributionControl.addAttribution("Natural Earth");
  }
  map.fitBounds([[54.55, 8.0], [57.8, 12.7]]);
  // Hotspots and processor sites above the companies' markers, so clusters cannot hide them.
  map.createPane("hotspots").style.zIndex = 640;
  map.createPane("sites").style.zIndex = 650;
  view.layers = {
    edges: L.layerGroup().addTo(map), nodes: L.layerGroup().addTo(map), hotspots: L.layerGroup().addTo(map),
    sites: L.layerGroup().addTo(map), box: L.layerGroup().addTo(map),
  };
  map.on("zoomend", () => redraw(false));
}

// --- filters ------------------------------------------------------------------------------------

function fillFilters() {
  const { nodes, edges } = view.network;
  const options = (select, values, text = (v) => v) => {
    const current = select.value;
    select.replaceChildren(el("option", { value: "" }, t("all")), ...values.map((v) => el("option", { value: v }, text(v))));
    if (values.includes(current)) select.value = current;
  };
  const group = $("filter-group").value;
  const materials = [...new Set(edges.flatMap(materialsOf))].filter((m) => !group || groupOf(m) === group).sort();
  options($("filter-group"), [...view.groups.keys()], groupName);
  options($("filter-material"), materials);
  options($("filter-branch"), [...new Set(nodes.map((n) => n.branch).filter(Boolean))].sort(),
    (b) => `${b} ${branchName(b)}`.trim());
  options($("filter-municipality"), municipalities());
}

function filters() {
  return { group: $("filter-group").value, material: $("filter-material").value, branch: $("filter-branch").value,
    municipality: $("filter-municipality").value };
}

function materialPasses(material, f = filters()) {
  return (!f.group || groupOf(material) === f.group) && (!f.material || material === f.material);
}

/** What the filters let through: links carrying a passing material that touch a company passing the
 * branch and municipality filters, those companies, and the partners at the other ends. */
function visible() {
  const f = filters();
  const passes = (n) => n && (!f.branch || n.branch === f.branch) && (!f.municipality || n.municipality === f.municipality);
  const byMaterial = Boolean(f.group || f.material);
  const edges = view.network.edges.filter((e) => (!byMaterial || materialsOf(e).some((m) => materialPasses(m, f)))
    && (passes(view.nodesById.get(e.source)) || passes(view.nodesById.get(e.target))));
  const shown = new Map();
  for (const n of view.network.nodes) {
    if (passes(n) && !byMaterial) shown.set(n.company_id, { node: n, partner: false });
  }
  for (const e of edges) {
    for (const id of [e.source, e.target]) {
      const n = view.nodesById.get(id);
      if (n && !shown.has(id)) shown.set(id, { node: n, partner: !passes(n) });
    }
  }
  return { nodes: [...shown.values()], edges, filters: f };
}

function filtersChanged() {
  fillFilters();
  view.map.eachLayer((layer) => layer.closeTooltip && layer.closeTooltip());
  redraw(true);
  drawKeystones();
  drawHotspots();
  drawAggregates();
}

// --- drawing ------------------------------------------------------------------------------------

/** Companies placed on the screen grid: a cell with several companies becomes one counted circle at
 * their mean position once the map shows many; each company's drawn position is its cell's. */
function aggregate(nodes) {
  const positions = new Map();
  const singles = [];
  const clusters = [];
  if (nodes.length < CLUSTER_FROM) {
    for (const item of nodes) positions.set(item.node.company_id, [item.node.lat, item.node.lon]);
    return { singles: nodes, clusters, positions };
  }
  const zoom = view.map.getZoom();
  const cells = new Map();
  for (const item of nodes) {
    const p = view.map.project([item.node.lat, item.node.lon], zoom);
    const key = `${Math.floor(p.x / CELL_PX)}:${Math.floor(p.y / CELL_PX)}`;
    if (!cells.has(key)) cells.set(key, []);
    cells.get(key).push(item);
  }
  for (const members of cells.values()) {
    if (members.length === 1) {
      singles.push(members[0]);
      positions.set(members[0].node.company_id, [members[0].node.lat, members[0].node.lon]);
      continue;
    }
    const lat = members.reduce((s, m) => s + m.node.lat, 0) / members.length;
    const lon = members.reduce((s, m) => s + m.node.lon, 0) / members.length;
    for (const m of members) positions.set(m.node.company_id, [lat, lon]);
    clusters.push({ lat, lon, members });
  }
  return { singles, clusters, positions };
}

function edgeTip(a, b, edges) {
  const rounded = view.network.private ? ` (${t("rounded")})` : "";
  return el("div", {}, edges.slice(0, 6).map((e) => el("div", { className: "tip-line" },
    el("strong", {}, materialsOf(e).map(materialLabel).join(", ")),
    el("div", {}, `${nameOf(e.source)} ↔ ${nameOf(e.target)}`),
    el("div", {}, `${t(e.exchanges === 1 ? "map.exchange_one" : "map.exchanges", { n: fmt(e.exchanges) })}, ${fmt(e.quantity)} ${unitOf(e)} ${t("per_year")}${rounded}`))),
  edges.length > 6 ? el("div", {}, `+ ${fmt(edges.length - 6)}`) : null);
}

function redraw(fit = false) {
  if (!view.map) return;
  const { nodes, edges } = visible();
  view.layers.edges.clearLayers();
  view.layers.nodes.clearLayers();
  const { singles, clusters, positions } = aggregate(nodes);
  // Lines between drawn positions: links between the same two places are one line, the sum of them.
  const lines = new Map();
  for (const e of edges) {
    const a = positions.get(e.source);
    const b = positions.get(e.target);
    if (!a || !b || (a[0] === b[0] && a[1] === b[1])) continue;
    const key = `${a}|${b}|${colourOf(e)}`;
    if (!lines.has(key)) lines.set(key, { a, b, edges: [], quantity: 0, colour: colourOf(e) });
    const line = lines.get(key);
    line.edges.push(e);
    line.quantity += e.quantity || 0;
  }
  for (const line of lines.values()) {
    L.polyline([line.a, line.b], {
      className: "exchange-line", color: line.colour, weight: view.widthScale(line.quantity / line.edges.length),
      opacity: lines.size > 400 ? 0.55 : 0.85,
    }).bindTooltip(() => edgeTip(null, null, line.edges), { sticky: true }).addTo(view.layers.edges);
  }
  for (const { node, partner } of singles) {
    const tip = () => el("div", {}, el("strong", {}, label(node)),
      el("div", {}, `${node.branch ? `${node.branch} ${branchName(node.branch)} · ` : ""}NACE ${node.nace || "–"}`),
      el("div", {}, node.municipality || ""), partner ? el("div", {}, t("map.partner")) : null);
    L.circleMarker([node.lat, node.lon], {
      className: partner ? "company-marker partner" : "company-marker", radius: 4 + Math.min(node.degree || 0, 6),
      color: "#1f2933", weight: 1.5, fillColor: "#ffffff", fillOpacity: 1,
    }).bindTooltip(tip).addTo(view.layers.nodes);
  }
  for (const cluster of clusters) {
    const n = cluster.members.length;
    const size = Math.round(22 + Math.min(26, 6 * Math.log10(n) * 2));
    L.marker([cluster.lat, cluster.lon], {
      icon: L.divIcon({ className: "cluster-marker", html: `<span>${fmt(n)}</span>`, iconSize: [size, size] }),
    }).bindTooltip(() => t("map.companies_here", { n: fmt(n) }))
      .on("click", () => view.map.fitBounds(L.latLngBounds(cluster.members.map((m) => [m.node.lat, m.node.lon])).pad(0.2)))
      .addTo(view.layers.nodes);
  }
  $("shown").textContent = t("map.shown", { nodes: fmt(nodes.length), edges: fmt(edges.length) });
  drawLegend(edges);
  drawTotals(edges);
  if (fit && nodes.length) {
    view.map.fitBounds(L.latLngBounds(nodes.map(({ node }) => [node.lat, node.lon])).pad(0.15), { maxZoom: 12 });
  }
}

function drawLegend(edges) {
  const groups = [...new Set(edges.flatMap(materialsOf).map(groupOf))];
  const named = groups.filter((g) => view.groups.get(g) !== OTHER_COLOUR).sort((a, b) =>
    [...view.groups.keys()].indexOf(a) - [...view.groups.keys()].indexOf(b));
  const swatch = (colour) => { const s = el("span", { className: "swatch" }); s.style.background = colour; return s; };
  $("legend").replaceChildren(
    el("span", {}, el("span", { className: "dot" }), t("map.company_legend")),
    el("span", {}, el("span", { className: "dot cluster" }), t("map.cluster_legend")),
    el("span", {}, el("span", { className: "dot hotspot" }), t("map.hotspot_legend")),
    el("span", {}, el("span", { className: "dot processor" }), t("map.processor_legend")),
    ...named.map((g) => el("span", { className: "legend-item", "data-group": g, title: groupName(g) }, swatch(view.groups.get(g)),
      groupName(g).length > 42 ? `${groupName(g).slice(0, 40).trimEnd()}…` : groupName(g))),
    ...(groups.length > named.length ? [el("span", { className: "legend-item" }, swatch(OTHER_COLOUR), t("map.other_materials"))] : []),
    el("span", {}, t("map.width_legend"), " (t, MWh, m³)"),
  );
}

function drawTotals(edges) {
  const rows = INDICATORS.map(([key, unit]) => [t(`ind.${key}`), fmt(edges.reduce((sum, e) => sum + (e[key] || 0), 0)), unit]);
  const exchanges = edges.reduce((sum, e) => sum + (e.exchanges || 0), 0);
  fillTable($("totals"), [[t("totals.indicator")], [t("per_year"), true], [t("totals.unit")]], rows, "");
  $("totals-note").textContent = t("totals.note", { n: fmt(exchanges) })
    + (view.network.private ? t("totals.note_private") : ".");
}

// --- keystones and hotspots -------------------------------------------------------------------

async function loadKeystones() {
  ({ data: view.keystones } = await api("analytics/keystones"));
  $("keystones-panel").hidden = false;
  drawKeystones();
}

function drawKeystones() {
  const shown = new Set(visible().nodes.filter((n) => !n.partner).map((n) => n.node.company_id));
  fillTable($("keystones"), [["#", true], [t("keystones.company")], [t("keystones.exchanges"), true],
    [t("keystones.dependants"), true], [t("keystones.diverted"), true]],
  view.keystones.filter((row) => row.total_exchanges > 0 && shown.has(row.company_id)).slice(0, 10).map((row) => [
    String(row.rank), nameOf(row.company_id), fmt(row.total_exchanges), fmt(row.dependants), fmt(row.total_diverted_t)]),
  t("keystones.empty"));
}

async function loadHotspots() {
  try {
    ({ data: view.hotspots } = await api("analytics/unmatched-supply"));
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 409) throw error;  // nothing open to match
    view.hotspots = [];
  }
  $("unmatched-panel").hidden = false;
  drawHotspots();
}

/** One SVG renderer in the hotspots' pane (a vector layer otherwise draws in the overlay pane's). */
function hotspotRenderer() {
  if (!view.hotspotRenderer) view.hotspotRenderer = L.svg({ pane: "hotspots" });
  return view.hotspotRenderer;
}

/** Where a municipality's hotspot is drawn: the mean position of its companies on the map. */
function municipalityCentres() {
  const sums = new Map();
  for (const n of view.network.nodes) {
    if (!n.municipality) continue;
    const s = sums.get(n.municipality) || [0, 0, 0];
    sums.set(n.municipality, [s[0] + n.lat, s[1] + n.lon, s[2] + 1]);
  }
  return new Map([...sums].map(([m, [lat, lon, k]]) => [m, [lat / k, lon / k]]));
}

function drawHotspots() {
  const f = filters();
  const rows = view.hotspots.filter((r) => materialPasses(r.material, f) && (!f.municipality || r.municipality === f.municipality))
    .sort((a, b) => (b.quantity ?? -1) - (a.quantity ?? -1));
  fillTable($("unmatched"), [[t("hotspots.material")], [t("hotspots.municipality")], [t("hotspots.offers"), true],
    [t("per_year"), true], [""]],
  rows.slice(0, HOTSPOT_ROWS).map((row) => [el("span", { title: materialName(row.material) }, row.material), row.municipality || "–", fmt(row.listings),
    row.suppressed ? t("hotspots.withheld") : `${fmt(row.quantity)} ${row.canonical_unit}`,
    el("button", { type: "button", className: "site-button small", onclick: () => processorSite(row.material) }, t("hotspots.site"))]),
  t("hotspots.empty"));
  $("unmatched-more").textContent = rows.length > HOTSPOT_ROWS
    ? t("hotspots.more", { shown: fmt(HOTSPOT_ROWS), n: fmt(rows.length) }) : "";
  view.layers.hotspots.clearLayers();
  const centres = municipalityCentres();
  const top = Math.max(1, ...rows.map((r) => r.quantity || 0));
  for (const row of rows) {
    const at = centres.get(row.municipality);
    if (!at) continue;
    const radius = row.suppressed || !row.quantity ? 7 : 7 + 18 * Math.sqrt(row.quantity / top);
    L.circleMarker(at, { pane: "hotspots", renderer: hotspotRenderer(), className: "hotspot-marker", radius, color: "#b42318", weight: 1.5, fillColor: "#f04438",
      fillOpacity: 0.25, dashArray: row.suppressed ? "3 3" : null })
      .bindTooltip(() => el("div", {}, el("strong", {}, materialLabel(row.material)), el("div", {}, row.municipality),
        el("div", {}, row.suppressed ? t("hotspots.withheld") : `${fmt(row.quantity)} ${row.canonical_unit} ${t("per_year")}`)))
      .addTo(view.layers.hotspots);
  }
}

async function processorSite(material) {
  const message = $("site-status");
  try {
    const site = await api(`analytics/processor-site?material=${encodeURIComponent(material)}`);
    view.layers.sites.clearLayers();
    const text = t("site.found", { material: materialLabel(site.material), qty: fmt(site.quantity), unit: site.canonical_unit,
      km: fmt(site.max_distance_km, 1), mode: t(`mode.${site.transport_mode}`), offers: fmt(site.offer_count) });
    L.marker([site.lat, site.lon], { pane: "sites", icon: L.divIcon({ className: "processor-marker", html: "▲", iconSize: [22, 22] }) })
      .bindTooltip(text).addTo(view.layers.sites);
    note(message, text);
    view.map.panTo([site.lat, site.lon]);
  } catch (error) {
    note(message, t("site.failed", { msg: error.message }), true);
  }
}

// --- indicators by municipality, branch or material ----------------------------------------------

async function loadAggregates() {
  const by = $("aggregates-by").value;
  ({ data: view.aggregates } = await api(`analytics/aggregates?by=${by}`));
  view.aggregatesBy = by;
  $("aggregates-panel").hidden = false;
  drawAggregates();
}

function drawAggregates() {
  if (!view.aggregates) return;
  const f = filters();
  const by = view.aggregatesBy;
  const keep = (key) => (by === "municipality" ? !f.municipality || key === f.municipality
    : by === "branch" ? !f.branch || key === f.branch : materialPasses(key, f));
  const name = (key) => (by === "branch" ? `${key} ${branchName(key)}` : by === "material" ? materialLabel(key) : key);
  const withheld = (row, key) => (row.suppressed ? t("hotspots.withheld") : fmt(row[key]));
  fillTable($("aggregates"), [[t(`filter.${by === "material" ? "material" : by}`)], [t("ind.exchanges"), true],
    [`${t("ind.diverted_t")} (t)`, true], [`${t("ind.co2e_t")} (t)`, true]],
  view.aggregates.filter((row) => keep(row.key)).sort((a, b) => (b.diverted_t ?? -1) - (a.diverted_t ?? -1)).slice(0, 15)
    .map((row) => [name(row.key), withheld(row, "exchanges"), withheld(row, "diverted_t"), withheld(row, "co2e_t")]),
  t("keystones.empty"));
}

// --- drawing a box for a round's scope ---------------------------------------------------------

/** Let the user click two corners; ``done`` gets [min_lon, min_lat, max_lon, max_lat]. */
export function drawBox(done) {
  const corners = [];
  $("map").classList.add("drawing");
  view.map.getContainer().scrollIntoView({ block: "center" });
  const click = (event) => {
    corners.push(event.latlng);
    if (corners.length < 2) return;
    view.map.off("click", click);
    $("map").classList.remove("drawing");
    const bounds = L.latLngBounds(corners);
    view.layers.box.clearLayers();
    L.rectangle(bounds, { className: "scope-box", color: "#0b6e4f", weight: 2, fillOpacity: 0.08 }).addTo(view.layers.box);
    done([bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()]);
  };
  view.map.on("click", click);
}

// --- resilience and scenarios -------------------------------------------------------------------

function fillCompanySelects() {
  const companies = [...view.network.nodes].sort((a, b) => label(a).localeCompare(label(b), currentLang()));
  const options = () => companies.map((n) => el("option", { value: n.company_id }, label(n)));
  for (const id of ["scenario-company", "scenario-listing-company", "resilience-company"]) {
    const select = $(id);
    const current = select.value;
    select.replaceChildren(...options());
    if (current) select.value = current;
  }
  // A planner names companies by the pseudonyms it sees, which a new listing cannot belong to.
  $("scenario-kind").querySelector("option[value=add_listing]").hidden = view.network.private;
}

const METRICS = ["exchanges", "diverted_t", "resource_t", "water_m3", "co2e_t", "energy_mwh", "waste_t", "transport_co2e_t", "value_eur"];

function metricName(metric) {
  const unit = { diverted_t: "t", resource_t: "t", water_m3: "m³", co2e_t: "t", energy_mwh: "MWh", waste_t: "t",
    transport_co2e_t: "t CO₂e", value_eur: "EUR" }[metric];
  return unit ? `${t(`ind.${metric}`)} (${unit})` : t(`ind.${metric}`);
}

async function runResilience(event) {
  event.preventDefault();
  const company = $("resilience-company").value;
  const status = $("resilience-status");
  note(status, t("resilience.running", { name: nameOf(company) }));
  $("resilience-run").disabled = true;
  try {
    const result = await api("analytics/resilience", { method: "POST", body: { remove: [company] } });
    note(status, result.recovery === null ? "" : t("resilience.recovery", { pct: fmt(result.recovery * 100), lost: fmt(result.lost_diverted_t) }));
    fillTable($("resilience-table"), [[t("figure")], [t("before"), true], [t("after"), true], [t("change"), true], [t("lost"), true]],
      METRICS.filter((m) => m in result.before).map((m) => [metricName(m), fmt(result.before[m]), fmt(result.after[m]),
        el("span", { className: result.change[m] > 0 ? "delta-up" : result.change[m] < 0 ? "delta-down" : null }, fmt(result.change[m])),
        fmt(result.lost[m])]), "");
  } catch (error) {
    note(status, t("error", { msg: error.message }), true);
  } finally {
    $("resilience-run").disabled = false;
  }
}

async function loadScenarios(select = []) {
  ({ data: view.scenarios } = await api("analytics/scenarios"));
  $("scenario-panel").hidden = false;
  const list = $("scenario-list");
  const checked = new Set([...list.querySelectorAll("input:checked")].map((i) => Number(i.value)));
  for (const id of select) checked.add(id);
  list.replaceChildren(...view.scenarios.map((s) => el("label", {},
    el("input", { type: "checkbox", value: s.id, checked: checked.has(s.id) }), ` #${s.id} ${s.name}`)));
  await compareScenarios();
}

async function compareScenarios() {
  const ids = [...$("scenario-list").querySelectorAll("input:checked")].map((i) => i.value);
  const table = $("scenario-compare");
  if (!ids.length) {
    fillTable(table, [[t("figure")]], [], view.scenarios.length ? t("scenario.pick") : t("scenario.none"));
    return;
  }
  const comparison = await api(`analytics/scenarios/compare?ids=${ids.join(",")}`);
  // Each column's scenario and part come apart from its key, so the header is in the page's language.
  const headers = comparison.headers;
  fillTable(table, [[t("figure")], ...headers.map((h) => [`${h.scenario}: ${t(h.part)}`, true])],
    comparison.rows.map((row) => [METRICS.includes(row.metric) ? metricName(row.metric) : row.metric, ...headers.map((h) => {
      const cell = el("span", {}, fmt(row[h.column]));
      if (h.part === "change" && row[h.column]) cell.className = row[h.column] > 0 ? "delta-up" : "delta-down";
      return cell;
    })]), "");
  for (const span of table.querySelectorAll("td > span.delta-up, td > span.delta-down")) span.parentElement.classList.add(span.className);
}

function scenarioBody() {
  const name = $("scenario-name").value.trim() || t("scenario.name_default");
  if ($("scenario-kind").value === "remove_company") {
    const company = $("scenario-company").value;
    return { name, description: t("scenario.without", { name: nameOf(company) }), remove_companies: [company] };
  }
  const company = $("scenario-listing-company").value;
  const listing = {
    listing_id: `scenario-${Date.now()}`, company_id: company, kind: $("scenario-listing-kind").value,
    material: $("scenario-listing-material").value.trim(), quantity: parseNumber($("scenario-listing-quantity").value),
    unit: $("scenario-listing-unit").value.trim(),
  };
  return { name, description: t("scenario.with", { kind: t(`kind.${listing.kind}`), material: listing.material, name: nameOf(company) }),
    add_listings: [listing] };
}

async function runScenario(event) {
  event.preventDefault();
  const button = $("scenario-run");
  const status = $("scenario-status");
  button.disabled = true;
  note(status, t("scenario.running"));
  try {
    const body = scenarioBody();
    if (body.add_listings && !Number.isFinite(body.add_listings[0].quantity)) throw new Error(t("number.invalid"));
    const scenario = await api("analytics/scenarios", { method: "POST", body });
    note(status, t("scenario.done", { id: scenario.id, name: scenario.name, exchanges: fmt(scenario.change.exchanges),
      diverted: fmt(scenario.change.diverted_t) }));
    await loadScenarios([scenario.id]);
  } catch (error) {
    note(status, t("scenario.failed", { msg: error.message }), true);
  } finally {
    button.disabled = false;
  }
}

// --- downloads ----------------------------------------------------------------------------------

async function showDownloads() {
  const paths = await apiPaths();
  const workbook = paths.find((p) => /^\/api\/v1\/analytics\/export\/(xlsx|workbook)$/.test(p));
  const items = [...DOWNLOADS];
  if (workbook) items.push(["workbook", workbook.replace("/api/v1/", ""), "network.xlsx"]);
  $("downloads").replaceChildren(...items.map(([key, path, name]) => el("button", {
    type: "button", className: "download", "data-download": key,
    onclick: async (event) => {
      const button = event.currentTarget;
      button.disabled = true;
      try {
        await download(path, name);
        note($("download-status"), "");
      } catch (error) {
        note($("download-status"), t("download.failed", { msg: error.message }), true);
      } finally {
        button.disabled = false;
      }
    },
  }, el("span", { "data-i18n": `download.${key}` }, t(`download.${key}`)))));
  $("downloads-panel").hidden = false;
}

export function startMap() {
  for (const id of ["filter-group", "filter-material", "filter-branch", "filter-municipality"]) {
    $(id).addEventListener("change", filtersChanged);
  }
  $("scenario-form").addEventListener("submit", runScenario);
  $("resilience-form").addEventListener("submit", runResilience);
  $("aggregates-by").addEventListener("change", () => {
    loadAggregates().catch((error) => note($("download-status"), t("error", { msg: error.message }), true));
  });
  $("scenario-kind").addEventListener("change", () => {
    const adding = $("scenario-kind").value === "add_listing";
    $("scenario-add").hidden = !adding;
    $("scenario-remove").hidden = adding;
  });
  $("scenario-list").addEventListener("change", () => {
    compareScenarios().catch((error) => note($("scenario-status"), error.message, true));
  });
}
