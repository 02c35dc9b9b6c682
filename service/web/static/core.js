/* What every view of the page shares: the API client (Bearer key, RFC 9457 problem details), downloads
 * of files that need the key, DOM helpers, a table with paging, sorting and search, and the reference
 * names of /catalog.json (NACE branches, material classes, waste codes) in the page's language. */

import { currentLang, t } from "./i18n.js";

const API = "api/v1/";
export const state = { key: null, me: null, catalog: null, openapi: null };

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function problem(response) {
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  const detail = data && data.detail;
  let message = typeof detail === "string" ? detail
    : Array.isArray(detail) ? detail.map((d) => `${(d.loc || []).join(".")}: ${d.msg}`).join("; ")
      : (data && data.title) || `${response.status} ${response.statusText}`;
  // What each problem is (field and reason), not only how many there are.
  const errors = data && Array.isArray(data.errors) ? data.errors : [];
  if (errors.length) {
    message = errors.slice(0, 5).map((e) => {
      const field = e.column || (Array.isArray(e.loc) ? e.loc.filter((part) => part !== "body").join(".") : "");
      return field ? `${field}: ${e.reason || e.msg}` : (e.reason || e.msg);
    }).join("; ") + (errors.length > 5 ? ` (+${errors.length - 5})` : "");
  }
  return new ApiError(response.status, message);
}

/** A JSON call to the API with the key; problem details become an ApiError with their ``detail``. */
export async function api(path, { method = "GET", body, headers = {} } = {}) {
  const all = { Authorization: `Bearer ${state.key}`, Accept: "application/json", ...headers };
  if (body !== undefined) all["Content-Type"] = "application/json";
  const response = await fetch(API + path, { method, headers: all, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) throw await problem(response);
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/** Every item of a paged list (``{data, count}``). */
export async function all(path) {
  const items = [];
  const join = path.includes("?") ? "&" : "?";
  for (;;) {
    const page = await api(`${path}${join}limit=500&offset=${items.length}`);
    items.push(...page.data);
    if (!page.data.length || items.length >= page.count) return items;
  }
}

/** Save ``blob`` as a file named ``name``. */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Fetch a file with the key (a link cannot carry the header) and save it under the server's name. */
export async function download(path, fallbackName) {
  const response = await fetch(API + path, { headers: { Authorization: `Bearer ${state.key}` } });
  if (!response.ok) throw await problem(response);
  const match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
  saveBlob(await response.blob(), match ? match[1] : fallbackName);
}

/** The API's paths (from /openapi.json), to offer only the downloads the server has. */
export async function apiPaths() {
  if (!state.openapi) {
    const response = await fetch("openapi.json");
    state.openapi = response.ok ? await response.json() : { paths: {} };
  }
  return Object.keys(state.openapi.paths || {});
}

export const $ = (id) => document.getElementById(id);

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "className") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Show ``text`` in the note ``node`` (red when ``error``). */
export function note(node, text, error = false) {
  node.textContent = text;
  node.classList.toggle("error", error);
}

/** Fill a table: ``headers`` are [label, numeric] pairs, ``rows`` lists of cells. */
export function fillTable(table, headers, rows, emptyText) {
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

export function badge(status) {
  return el("span", { className: `badge ${status || "open"}` }, t(status ? `status.${status}` : "decision.open"));
}

/** A table over rows held in the page: search, a filter on one column, sorting by a header click, paging.
 * ``columns``: {key, label, numeric, value(row) for sorting and search, cell(row) for display}. */
export class DataTable {
  constructor(container, { columns, filterKey = null, filterValues = [], pageSize = 25, emptyText }) {
    Object.assign(this, { columns, filterKey, filterValues, pageSize, emptyText });
    this.rows = [];
    this.sort = { key: columns[0].key, up: true };
    this.page = 0;
    this.search = el("input", { type: "search", className: "table-search", oninput: () => { this.page = 0; this.draw(); } });
    this.filter = el("select", { className: "table-filter", onchange: () => { this.page = 0; this.draw(); } });
    this.size = el("select", { className: "table-size", onchange: () => { this.pageSize = Number(this.size.value); this.page = 0; this.draw(); } },
      [10, 25, 50, 100].map((n) => el("option", { value: n, selected: n === pageSize }, String(n))));
    this.table = el("table", { className: "list data-table" });
    this.pager = el("div", { className: "pager" });
    this.controls = el("div", { className: "table-controls" });
    container.replaceChildren(this.controls, this.table, this.pager);
  }

  setRows(rows) {
    this.rows = rows;
    this.draw();
  }

  /** The rows passing the search and the filter, sorted. */
  visible() {
    const query = this.search.value.trim().toLowerCase();
    const wanted = this.filter.value;
    const rows = this.rows.filter((row) => (!wanted || String(this.valueOf(this.filterKey, row)) === wanted)
      && (!query || this.columns.some((c) => String(this.valueOf(c.key, row) ?? "").toLowerCase().includes(query))));
    const sign = this.sort.up ? 1 : -1;
    return rows.sort((a, b) => {
      const x = this.valueOf(this.sort.key, a);
      const y = this.valueOf(this.sort.key, b);
      if (typeof x === "number" && typeof y === "number") return sign * (x - y);
      return sign * String(x ?? "").localeCompare(String(y ?? ""), currentLang());
    });
  }

  sortBy(key) {
    this.sort = { key, up: this.sort.key === key ? !this.sort.up : true };
    this.draw();
  }

  valueOf(key, row) {
    const column = this.columns.find((c) => c.key === key);
    return column.value ? column.value(row) : row[key];
  }

  draw() {
    const current = this.filter.value;
    this.filter.replaceChildren(el("option", { value: "" }, `${t("table.status")}: ${t("all")}`),
      ...this.filterValues.map((v) => el("option", { value: v }, t(`status.${v}`))));
    this.filter.value = this.filterValues.includes(current) ? current : "";
    this.search.placeholder = t("table.search");
    this.controls.replaceChildren(el("label", {}, t("table.search"), " ", this.search),
      this.filterKey ? this.filter : "", el("label", {}, t("table.rows"), " ", this.size));
    const rows = this.visible();
    const pages = Math.max(1, Math.ceil(rows.length / this.pageSize));
    this.page = Math.min(this.page, pages - 1);
    const shown = rows.slice(this.page * this.pageSize, (this.page + 1) * this.pageSize);
    const head = el("tr", {}, this.columns.map((c) => el("th", {
      className: [c.numeric ? "num" : "", "sortable", c.key === this.sort.key ? (this.sort.up ? "sorted-up" : "sorted-down") : ""].join(" ").trim(),
      "data-key": c.key, "aria-sort": c.key === this.sort.key ? (this.sort.up ? "ascending" : "descending") : null,
      tabindex: 0, onclick: () => this.sortBy(c.key),
      onkeydown: (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); this.sortBy(c.key); } },
    }, c.label())));
    const thead = this.table.tHead || this.table.createTHead();
    thead.replaceChildren(head);
    const body = this.table.tBodies[0] || this.table.createTBody();
    body.replaceChildren(...(shown.length ? shown.map((row) => el("tr", { "data-id": row.id },
      this.columns.map((c) => el("td", { className: c.numeric ? "num" : null }, c.cell ? c.cell(row) : String(this.valueOf(c.key, row) ?? "")))))
      : [el("tr", { className: "empty" }, el("td", { colspan: this.columns.length }, this.emptyText()))]));
    this.pager.replaceChildren(
      el("button", { type: "button", className: "pager-prev", disabled: this.page === 0, onclick: () => { this.page -= 1; this.draw(); } }, t("table.prev")),
      el("span", { className: "pager-info" }, t("table.page", { page: this.page + 1, pages, n: rows.length })),
      el("button", { type: "button", className: "pager-next", disabled: this.page >= pages - 1, onclick: () => { this.page += 1; this.draw(); } }, t("table.next")),
    );
  }
}

// --- reference names ---------------------------------------------------------------------------

export async function loadCatalog() {
  if (!state.catalog) {
    const response = await fetch("catalog.json");
    state.catalog = await response.json();
  }
  return state.catalog;
}

/** The name of a material (EWC code or class id) in the page's language (EWC descriptions are English). */
export function materialName(code) {
  const c = state.catalog;
  if (!c || !code) return "";
  const cls = c.classes[code];
  if (cls) return cls[currentLang()] || cls.en;
  return c.ewc[code.replace("*", "").trim()] || "";
}

/** ``code`` followed by its name: "10 01 05 Calcium-based reaction wastes …" or "steam (Process steam)". */
export function materialLabel(code) {
  const name = materialName(code);
  return name && name !== code ? `${code} ${name}` : code;
}

/** The canonical unit of a material: t for waste codes, the class's unit otherwise. */
export function canonicalUnit(code) {
  const cls = state.catalog && state.catalog.classes[code];
  return cls ? cls.unit : "t";
}

/** The name of a NACE code's division (or a branch group such as "CG") in the page's language. */
export function branchName(code) {
  const c = state.catalog;
  if (!c || !code) return "";
  if (code === "other") return t("branch.other");
  const entry = c.branches[code] || c.nace[code] || c.nace[String(code).slice(0, 2)];
  return entry ? entry[currentLang()] || entry.en : "";
}
