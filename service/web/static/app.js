/* The web map page. It asks for an API key, keeps it in sessionStorage and reads the API with it, so
 * a key sees on the page exactly what it may read through the API. Plain JavaScript, no build step. */
"use strict";

(() => {
  const API = "api/v1/";
  const KEY_STORE = "symbiosis.apiKey";
  const OUTLINE_URL = "static/vendor/natural-earth/outline_denmark.geojson";
  const INDICATORS = [
    ["resource_t", "Virgin resources saved", "t"],
    ["water_m3", "Fresh water saved", "m³"],
    ["co2e_t", "CO₂e avoided", "t"],
    ["energy_mwh", "Primary energy saved", "MWh"],
    ["waste_t", "Waste diverted", "t"],
    ["transport_co2e_t", "Transport emissions", "t CO₂e"],
  ];
  const PALETTE = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#1f78b4",
    "#b15928", "#6a3d9a", "#33a02c", "#fb6a4a", "#17becf", "#8c564b", "#bcbd22", "#525252"];
  const $ = (id) => document.getElementById(id);
  const state = {
    key: null, me: null, config: null, map: null, layers: null,
    network: { nodes: [], edges: [] }, nodesById: new Map(), colours: new Map(), widthScale: null,
    scenarios: [],
  };

  // --- small helpers ----------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  async function api(path, { method = "GET", body } = {}) {
    const headers = { Authorization: `Bearer ${state.key}`, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) {
      const detail = data && data.detail;
      const message = typeof detail === "string" ? detail
        : Array.isArray(detail) ? detail.map((d) => `${(d.loc || []).join(".")}: ${d.msg}`).join("; ")
          : `${response.status} ${response.statusText}`;
      throw new ApiError(response.status, message);
    }
    return data;
  }

  /** Every item of a paged list (``{data, count}``). */
  async function all(path) {
    const items = [];
    const join = path.includes("?") ? "&" : "?";
    for (;;) {
      const page = await api(`${path}${join}limit=500&offset=${items.length}`);
      items.push(...page.data);
      if (!page.data.length || items.length >= page.count) return items;
    }
  }

  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "className") node.className = value;
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child !== undefined && child !== null) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function fmt(value, digits = 0) {
    if (value === null || value === undefined || Number.isNaN(value)) return "–";
    const abs = Math.abs(value);
    const d = abs !== 0 && abs < 10 ? Math.max(digits, 1) : digits;
    return value.toLocaleString("en-GB", { maximumFractionDigits: d, minimumFractionDigits: 0 });
  }

  function setStatus(text, error = false) {
    const status = $("status");
    status.textContent = text;
    status.classList.toggle("error", error);
    status.hidden = !text;
  }

  function fillTable(table, headers, rows, emptyText) {
    const thead = table.tHead || table.createTHead();
    thead.replaceChildren(el("tr", {}, headers.map(([label, numeric]) => el("th", { className: numeric ? "num" : null }, label))));
    const body = table.tBodies[0] || table.createTBody();
    if (!rows.length) {
      body.replaceChildren(el("tr", { className: "empty" }, el("td", { colspan: headers.length }, emptyText)));
      return;
    }
    body.replaceChildren(...rows.map((cells) => el("tr", {}, cells.map((cell, i) =>
      el("td", { className: headers[i][1] ? "num" : null }, cell)))));
  }

  // --- the key ----------------------------------------------------------------------------------

  async function open(key) {
    state.key = key;
    setStatus("Loading…");
    try {
      state.me = await api("me");
    } catch (error) {
      sessionStorage.removeItem(KEY_STORE);
      state.key = null;
      setStatus(error.status === 401 ? "That key is unknown or revoked." : `Could not check the key: ${error.message}`, true);
      return;
    }
    sessionStorage.setItem(KEY_STORE, key);
    $("key-input").value = "";
    $("key-forget").hidden = false;
    $("who").hidden = false;
    $("who").textContent = state.me.company_id ? `${state.me.role} · ${state.me.company_id}` : state.me.role;
    try {
      await load();
    } catch (error) {
      setStatus(`Could not load the network: ${error.message}`, true);
    }
  }

  function forget() {
    sessionStorage.removeItem(KEY_STORE);
    window.location.reload();
  }

  // --- loading ----------------------------------------------------------------------------------

  async function load() {
    const role = state.me.role;
    if (role !== "facilitator" && role !== "planner") {
      setStatus(`The map is for facilitators and regional planners; a ${role} key reads its own data through the API (see /docs).`);
      return;
    }
    state.config = await api("web-config");
    $("content").hidden = false;
    await initMap();
    const network = await api("analytics/network");
    state.network = network;
    state.nodesById = new Map(network.nodes.map((n) => [n.company_id, n]));
    prepareStyles();
    fillFilters();
    redraw(true);
    setStatus(network.private
      ? "Companies that have not consented are shown as pseudonyms (n1, n2, …) with rounded places and figures." : "");
    const tasks = [loadKeystones(), loadUnmatched(), loadScenarios()];
    if (role === "facilitator") {
      $("round-panel").hidden = false;
      tasks.push(loadRounds());
    }
    await Promise.all(tasks);
  }

  /** The offered materials of an edge (company pair): ``materials`` is comma separated. */
  function materialsOf(edge) {
    return String(edge.materials || "").split(",").filter(Boolean);
  }

  // --- the map ----------------------------------------------------------------------------------

  async function initMap() {
    if (state.map) return;
    const map = L.map("map", { zoomSnap: 0.25, preferCanvas: false, worldCopyJump: false });
    state.map = map;
    const tiles = state.config && state.config.map_tiles_url;
    if (tiles) {
      $("map").classList.add("tiles");
      L.tileLayer(tiles, { maxZoom: 19, attribution: state.config.map_tiles_attribution || "" }).addTo(map);
    } else {
      const response = await fetch(OUTLINE_URL);
      const outline = await response.json();
      L.geoJSON(outline, {
        interactive: false,
        style: (feature) => ({ className: feature.properties.name === "Denmark" ? "outline outline-home" : "outline" }),
      }).addTo(map);
      map.attributionControl.addAttribution("Outline: Natural Earth");
    }
    map.fitBounds([[54.55, 8.0], [57.8, 12.7]]);
    state.layers = { edges: L.layerGroup().addTo(map), nodes: L.layerGroup().addTo(map) };
  }

  function prepareStyles() {
    const materials = [...new Set(state.network.edges.flatMap(materialsOf))].sort();
    state.colours = new Map(materials.map((m, i) => [m, PALETTE[i % PALETTE.length]]));
    const quantities = state.network.edges.map((e) => e.quantity).filter((q) => q > 0);
    const low = Math.log10(Math.min(...quantities, 1e12));
    const high = Math.log10(Math.max(...quantities, 1));
    state.widthScale = (q) => {
      if (!(q > 0) || !(high > low)) return 4;
      return 2 + 8 * (Math.log10(q) - low) / (high - low);
    };
  }

  function fillFilters() {
    const { nodes, edges } = state.network;
    const options = (select, values) => {
      const current = select.value;
      select.replaceChildren(el("option", { value: "" }, "all"), ...values.map((v) => el("option", { value: v }, v)));
      if (values.includes(current)) select.value = current;
    };
    options($("filter-material"), [...new Set(edges.flatMap(materialsOf))].sort());
    options($("filter-branch"), [...new Set(nodes.map((n) => n.branch).filter(Boolean))].sort());
    options($("filter-municipality"), [...new Set(nodes.map((n) => n.municipality).filter(Boolean))].sort());
  }

  /** What the filters let through: links carrying the material that touch a company passing the
   * branch and municipality filters, those companies, and the partners at the other ends. */
  function visible() {
    const material = $("filter-material").value;
    const branch = $("filter-branch").value;
    const municipality = $("filter-municipality").value;
    const passes = (n) => n && (!branch || n.branch === branch) && (!municipality || n.municipality === municipality);
    const edges = state.network.edges.filter((e) => (!material || materialsOf(e).includes(material))
      && (passes(state.nodesById.get(e.source)) || passes(state.nodesById.get(e.target))));
    const shown = new Map();
    for (const n of state.network.nodes) {
      if (passes(n) && !material) shown.set(n.company_id, { node: n, partner: false });
    }
    for (const e of edges) {
      for (const id of [e.source, e.target]) {
        const n = state.nodesById.get(id);
        if (n && !shown.has(id)) shown.set(id, { node: n, partner: !passes(n) });
      }
    }
    return { nodes: [...shown.values()], edges };
  }

  function label(node) {
    return node.name || node.company_id;
  }

  function nameOf(companyId) {
    const node = state.nodesById.get(companyId);
    return node ? label(node) : companyId;
  }

  function redraw(fit = false) {
    const { nodes, edges } = visible();
    state.layers.edges.clearLayers();
    state.layers.nodes.clearLayers();
    const rounded = state.network.private ? " (rounded)" : "";
    for (const e of edges) {
      const a = state.nodesById.get(e.source);
      const b = state.nodesById.get(e.target);
      if (!a || !b) continue;
      const materials = materialsOf(e);
      const tip = el("div", {}, el("strong", {}, materials.join(", ")),
        el("div", {}, `${label(a)} ↔ ${label(b)}`),
        el("div", {}, `${e.exchanges} exchange${e.exchanges === 1 ? "" : "s"}, ${fmt(e.quantity)} per year${rounded}`),
        el("div", {}, `${fmt(e.diverted_t)} t diverted`));
      L.polyline([[a.lat, a.lon], [b.lat, b.lon]], {
        className: "exchange-line", color: state.colours.get(materials[0]), weight: state.widthScale(e.quantity),
        opacity: 0.85,
      }).bindTooltip(tip, { sticky: true }).addTo(state.layers.edges);
    }
    for (const { node, partner } of nodes) {
      const tip = el("div", {}, el("strong", {}, label(node)),
        el("div", {}, [node.branch, node.municipality].filter(Boolean).join(" · ")),
        el("div", {}, `${node.degree} partner${node.degree === 1 ? "" : "s"}, betweenness ${fmt(node.betweenness, 2)}`));
      L.circleMarker([node.lat, node.lon], {
        className: partner ? "company-marker partner" : "company-marker", radius: 4 + Math.min(node.degree || 0, 6),
        color: "#1f2933", weight: 1.5, fillColor: "#ffffff", fillOpacity: 1,
      }).bindTooltip(tip).addTo(state.layers.nodes);
    }
    $("shown").textContent = `${nodes.length} companies, ${edges.length} links shown`;
    drawLegend(edges);
    drawTotals(edges);
    if (fit && nodes.length) {
      state.map.fitBounds(L.latLngBounds(nodes.map(({ node }) => [node.lat, node.lon])).pad(0.25), { maxZoom: 11 });
    }
  }

  function drawLegend(edges) {
    const materials = [...new Set(edges.flatMap(materialsOf))].sort();
    $("legend").replaceChildren(
      el("span", {}, el("span", { className: "dot" }), "company (size: partners)"),
      ...materials.map((m) => {
        const swatch = el("span", { className: "swatch" });
        swatch.style.background = state.colours.get(m);
        return el("span", { className: "legend-item" }, swatch, m);
      }),
      el("span", {}, "line width: quantity (log scale)"),
    );
  }

  function drawTotals(edges) {
    const rows = INDICATORS.map(([key, name, unit]) => [name,
      fmt(edges.reduce((sum, e) => sum + (e[key] || 0), 0)), unit]);
    const exchanges = edges.reduce((sum, e) => sum + (e.exchanges || 0), 0);
    fillTable($("totals"), [["indicator"], ["per year", true], ["unit"]], rows, "");
    $("totals-note").textContent = `Sum over the ${exchanges} active and proposed exchanges shown`
      + (state.network.private ? "; single companies' figures are rounded." : ".");
  }

  // --- keystones and unmatched supply ----------------------------------------------------------

  async function loadKeystones() {
    const { data } = await api("analytics/keystones");
    $("keystones-panel").hidden = false;
    fillTable($("keystones"), [["#", true], ["company"], ["exchanges", true], ["dependants", true], ["t diverted", true]],
      data.filter((row) => row.total_exchanges > 0).slice(0, 10).map((row) => [String(row.rank), nameOf(row.company_id),
        String(row.total_exchanges), String(row.dependants), fmt(row.total_diverted_t)]),
      "No exchanges yet.");
  }

  async function loadUnmatched() {
    let data;
    try {
      ({ data } = await api("analytics/unmatched-supply"));
    } catch (error) {
      if (error.status !== 409) throw error;  // nothing open to match
      data = [];
    }
    $("unmatched-panel").hidden = false;
    const rows = [...data].sort((a, b) => (b.quantity ?? -1) - (a.quantity ?? -1));
    fillTable($("unmatched"), [["material"], ["municipality"], ["offers", true], ["per year", true]],
      rows.map((row) => [row.material, row.municipality || "–", String(row.listings),
        row.suppressed ? "withheld" : `${fmt(row.quantity)} ${row.canonical_unit}`]),
      "Every open byproduct has a taker in reach.");
  }

  // --- scenarios ----------------------------------------------------------------------------------

  const METRIC_NAMES = {
    exchanges: "Exchanges", diverted_t: "Diverted (t)", resource_t: "Virgin resources saved (t)",
    water_m3: "Fresh water saved (m³)", co2e_t: "CO₂e avoided (t)", energy_mwh: "Primary energy saved (MWh)",
    waste_t: "Waste diverted (t)", transport_co2e_t: "Transport emissions (t CO₂e)", value_eur: "Value (EUR)",
  };

  function fillScenarioForm() {
    const companies = [...state.network.nodes].sort((a, b) => label(a).localeCompare(label(b)));
    const options = companies.map((n) => el("option", { value: n.company_id }, label(n)));
    $("scenario-company").replaceChildren(...options);
    $("scenario-listing-company").replaceChildren(...options.map((o) => o.cloneNode(true)));
    // A planner names companies by the pseudonyms it sees, which a new listing cannot belong to.
    $("scenario-kind").querySelector("option[value=add_listing]").hidden = state.network.private;
  }

  async function loadScenarios(select = []) {
    const { data } = await api("analytics/scenarios");
    state.scenarios = data;
    $("scenario-panel").hidden = false;
    fillScenarioForm();
    const list = $("scenario-list");
    const checked = new Set([...list.querySelectorAll("input:checked")].map((i) => Number(i.value)));
    for (const id of select) checked.add(id);
    list.replaceChildren(...data.map((s) => el("label", {},
      el("input", { type: "checkbox", value: s.id, checked: checked.has(s.id) }), ` #${s.id} ${s.name}`)));
    await compareScenarios();
  }

  async function compareScenarios() {
    const ids = [...$("scenario-list").querySelectorAll("input:checked")].map((i) => i.value);
    const table = $("scenario-compare");
    if (!ids.length) {
      fillTable(table, [["figure"]], [], state.scenarios.length ? "Tick scenarios to compare them." : "No scenarios yet.");
      return;
    }
    const comparison = await api(`analytics/scenarios/compare?ids=${ids.join(",")}`);
    const columns = comparison.columns;
    fillTable(table, [["figure"], ...columns.map((c) => [c, true])],
      comparison.rows.map((row) => [METRIC_NAMES[row.metric] || row.metric, ...columns.map((c) => {
        const cell = el("span", {}, fmt(row[c]));
        if (c.endsWith(": change") && row[c]) cell.className = row[c] > 0 ? "delta-up" : "delta-down";
        return cell;
      })]), "");
    for (const span of table.querySelectorAll("td > span.delta-up, td > span.delta-down")) {
      span.parentElement.classList.add(span.className);
    }
  }

  function scenarioBody() {
    const name = $("scenario-name").value.trim() || "What if";
    if ($("scenario-kind").value === "remove_company") {
      const company = $("scenario-company").value;
      return { name, description: `without ${nameOf(company)}`, remove_companies: [company] };
    }
    const company = $("scenario-listing-company").value;
    const listing = {
      listing_id: `scenario-${Date.now()}`, company_id: company, kind: $("scenario-listing-kind").value,
      material: $("scenario-listing-material").value.trim(), quantity: Number($("scenario-listing-quantity").value),
      unit: $("scenario-listing-unit").value.trim(),
    };
    return { name, description: `with a new ${listing.kind} of ${listing.material} at ${nameOf(company)}`,
      add_listings: [listing] };
  }

  async function runScenario(event) {
    event.preventDefault();
    const button = $("scenario-run");
    const note = $("scenario-status");
    button.disabled = true;
    note.classList.remove("error");
    note.textContent = "Running: the region is matched again with the change…";
    try {
      const scenario = await api("analytics/scenarios", { method: "POST", body: scenarioBody() });
      note.textContent = `Scenario #${scenario.id} ${scenario.name}: ${fmt(scenario.change.exchanges)} exchanges, `
        + `${fmt(scenario.change.diverted_t)} t diverted compared with today.`;
      await loadScenarios([scenario.id]);
    } catch (error) {
      note.classList.add("error");
      note.textContent = `The scenario could not run: ${error.message}`;
    } finally {
      button.disabled = false;
    }
  }

  // --- a facilitator's round view ----------------------------------------------------------------

  async function loadRounds() {
    const rounds = await all("rounds");
    const select = $("round-select");
    select.replaceChildren(...rounds.map((r) => el("option", { value: r.id }, `#${r.id} ${r.name} (${r.status})`)));
    if (rounds.length) await showRound(rounds[0].id);
    else fillTable($("proposals"), [["proposal"]], [], "No rounds yet.");
  }

  function decision(value) {
    return el("span", { className: `badge ${value || ""}` }, value || "open");
  }

  async function showRound(id) {
    const proposals = await all(`proposals?round_id=${encodeURIComponent(id)}`);
    const name = nameOf;
    const counts = {};
    for (const p of proposals) counts[p.status] = (counts[p.status] || 0) + 1;
    $("round-summary").textContent = proposals.length
      ? Object.entries(counts).map(([s, n]) => `${n} ${s}`).join(", ") : "";
    fillTable($("proposals"),
      [["#"], ["supplier"], ["receiver"], ["material"], ["quantity", true], ["km", true], ["status"],
        ["supplier says"], ["receiver says"], ["explanation"]],
      proposals.map((p) => [String(p.id), name(p.supplier_id), name(p.receiver_id), `${p.material} → ${p.need_material}`,
        `${fmt(p.quantity)} ${p.unit}`, fmt(p.distance_km, 1), el("span", { className: `badge ${p.status}` }, p.status),
        decision(p.supplier_decision), decision(p.receiver_decision),
        el("details", {}, el("summary", {}, "why"), el("p", {}, p.explanation))]),
      "This round has no proposals.");
  }

  // --- start --------------------------------------------------------------------------------------

  function start() {
    $("key-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const key = $("key-input").value.trim();
      if (key) open(key);
    });
    $("key-forget").addEventListener("click", forget);
    for (const id of ["filter-material", "filter-branch", "filter-municipality"]) {
      $(id).addEventListener("change", () => redraw(false));
    }
    $("scenario-form").addEventListener("submit", runScenario);
    $("scenario-kind").addEventListener("change", () => {
      const adding = $("scenario-kind").value === "add_listing";
      $("scenario-add").hidden = !adding;
      $("scenario-remove").hidden = adding;
    });
    $("scenario-list").addEventListener("change", () => {
      compareScenarios().catch((error) => { $("scenario-status").textContent = error.message; });
    });
    $("round-select").addEventListener("change", (event) => {
      showRound(event.target.value).catch((error) => { $("round-summary").textContent = error.message; });
    });
    const saved = sessionStorage.getItem(KEY_STORE);
    if (saved) open(saved);
  }

  start();
})();
