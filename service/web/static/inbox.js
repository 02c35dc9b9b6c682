/* The company inbox: a company key's listings (create with a material search, edit with If-Match,
 * withdraw), the proposals sent to it with the anonymous other side, the explanation, effects and
 * economics, accept or decline with a reason, and its active exchanges. */

import {
  $, ApiError, all, api, badge, branchName, el, fillTable, materialLabel, note, state,
} from "./core.js";
import { currentLang, date, fmt, known, numberInput, parseNumber, t } from "./i18n.js";

const INDICATORS = [["resource_t", "t"], ["water_m3", "m³"], ["co2e_t", "t"], ["energy_mwh", "MWh"],
  ["waste_t", "t"], ["transport_co2e_t", "t CO₂e"], ["value_eur", "EUR"]];
const ECONOMICS = ["receiver_saving_eur", "supplier_saving_eur", "treatment_cost_eur", "transport_cost_eur", "link_cost_eur"];
const inbox = { listings: [], proposals: [], exchanges: [], unmatched: null, editing: null, formLang: null };

export async function showInbox() {
  $("company-view").hidden = false;
  inbox.formLang = currentLang();  // the notation the listing form's fields are typed in
  await Promise.all([loadListings(), loadProposals(), loadExchanges(), loadUnmatched()]);
}

export function redrawInbox() {
  if ($("company-view").hidden) return;
  // A quantity typed in one language is rewritten in the other's notation: 2,125 on the Danish page is
  // 2.125 on the English one, not two thousand one hundred and twenty-five.
  const field = $("listing-quantity");
  if (inbox.formLang && inbox.formLang !== currentLang() && field.value.trim()) {
    const value = parseNumber(field.value, inbox.formLang);
    if (Number.isFinite(value)) field.value = numberInput(value);
  }
  inbox.formLang = currentLang();
  drawListings();
  drawProposals();
  drawExchanges();
  drawUnmatched();
}

// --- listings ------------------------------------------------------------------------------------

async function loadListings() {
  inbox.listings = await all(`listings?company_id=${encodeURIComponent(state.me.company_id)}`);
  drawListings();
}

function drawListings() {
  fillTable($("listings"), [[t("listing.id")], [t("listing.kind")], [t("listing.material")], [t("listing.quantity"), true],
    [t("listing.open"), true], [t("listing.actions")]],
  inbox.listings.map((l) => [l.listing_id, t(`kind.${l.kind}`), materialLabel(l.material),
    `${fmt(l.quantity)} ${l.unit}`, `${fmt(l.open_quantity)} ${l.unit}`,
    el("span", { className: "actions" },
      el("button", { type: "button", className: "listing-edit", "data-id": l.listing_id, onclick: () => editListing(l) }, t("listing.edit")),
      el("button", { type: "button", className: "listing-withdraw", "data-id": l.listing_id, onclick: (e) => withdraw(e, l) }, t("listing.withdraw")))]),
  t("listings.empty"));
}

function editListing(listing) {
  inbox.editing = listing;
  $("listing-kind").value = listing.kind;
  $("listing-kind").disabled = false;
  $("listing-material").value = listing.material;
  $("listing-quantity").value = numberInput(listing.quantity);  // read back by parseNumber unchanged
  $("listing-unit").value = listing.unit;
  $("listing-form-title").textContent = t("listing.editing", { id: listing.listing_id, version: listing.version });
  $("listing-cancel").hidden = false;
  $("listing-material").focus();
}

function resetForm() {
  inbox.editing = null;
  $("listing-form").reset();
  $("listing-form-title").textContent = t("listing.new");
  $("listing-cancel").hidden = true;
}

async function saveListing(event) {
  event.preventDefault();
  const status = $("listing-status");
  const quantity = parseNumber($("listing-quantity").value);
  if (!Number.isFinite(quantity)) {  // read in the page's language: 150.000 is 150,000 on the Danish page
    note(status, t("number.invalid"), true);
    $("listing-quantity").focus();
    return;
  }
  const fields = {
    kind: $("listing-kind").value, material: $("listing-material").value.trim(),
    quantity, unit: $("listing-unit").value.trim(),
  };
  const editing = inbox.editing;
  try {
    if (editing) {
      const saved = await api(`listings/${encodeURIComponent(editing.listing_id)}`, {
        method: "PATCH", body: fields, headers: { "If-Match": String(editing.version) } });
      note(status, t("listing.updated", { id: saved.listing_id, version: saved.version }));
    } else {
      // the service assigns the id: one nobody can guess, and never one another company's listing holds
      const saved = await api("listings", { method: "POST", body: { company_id: state.me.company_id, ...fields } });
      note(status, t("listing.created", { id: saved.listing_id }));
    }
    resetForm();
  } catch (error) {
    if (editing && error instanceof ApiError && (error.status === 409 || error.status === 412)) {
      note(status, t("listing.conflict", { id: editing.listing_id, msg: error.message }), true);
      await loadListings();
      const fresh = inbox.listings.find((l) => l.listing_id === editing.listing_id);
      if (fresh) editListing(fresh);
      return;
    }
    note(status, t("error", { msg: error.message }), true);
    return;
  }
  await loadListings();
}

async function withdraw(event, listing) {
  const button = event.currentTarget;
  if (!button.dataset.armed) {  // a second click withdraws: no accidental loss of a listing
    button.dataset.armed = "1";
    button.textContent = t("listing.withdraw_confirm");
    return;
  }
  try {
    await api(`listings/${encodeURIComponent(listing.listing_id)}`, { method: "DELETE" });
    note($("listing-status"), t("listing.withdrawn", { id: listing.listing_id }));
    if (inbox.editing && inbox.editing.listing_id === listing.listing_id) resetForm();
  } catch (error) {
    note($("listing-status"), t("error", { msg: error.message }), true);
  }
  await loadListings();
}

let searchTimer = null;

function searchMaterials() {
  clearTimeout(searchTimer);
  const query = $("listing-material").value.trim();
  if (query.length < 2) return;
  searchTimer = setTimeout(async () => {
    try {
      const { data } = await api(`materials?q=${encodeURIComponent(query)}&limit=15`);
      $("material-options").replaceChildren(...data.map((m) => el("option", { value: m.code },
        `${m.code} · ${m.name_da && document.documentElement.lang === "da" ? m.name_da : m.description}`)));
      $("material-hint").textContent = data.length ? "" : t("listing.search_none", { q: query });
    } catch (error) {
      $("material-hint").textContent = t("error", { msg: error.message });
    }
  }, 200);
}

// --- proposals -----------------------------------------------------------------------------------

async function loadProposals() {
  inbox.proposals = await all("proposals");
  drawProposals();
}

function row(label, value) {
  return el("tr", {}, el("th", {}, label), el("td", { className: "num" }, value));
}

function proposalCard(p) {
  const c = p.counterpart;
  const giving = p.side === "supplier";
  const what = giving
    ? t("proposal.you_give", { qty: `${fmt(p.quantity)} ${p.unit}`, material: materialLabel(p.material), listing: p.your_listing_id })
    : t("proposal.you_get", { qty: `${fmt(p.need_quantity)} ${p.need_unit}`, material: materialLabel(p.material), listing: p.your_listing_id });
  const counterpart = el("table", { className: "figures counterpart" }, el("tbody", {},
    row(t("proposal.branch"), c.nace_branch ? `${c.nace_branch} ${branchName(c.nace_branch) || c.nace_branch_name || ""}` : t("unknown")),
    row(t("proposal.municipality"), c.municipality || t("unknown")),
    row(t("proposal.distance"), t("km_about", { km: fmt(Math.round(c.distance_km)) })),
    row(t("proposal.transport"), t(`mode.${p.transport_mode}`)),
    c.name ? row(t("proposal.named"), c.name) : null));
  const effects = el("table", { className: "figures indicators" }, el("tbody", {},
    INDICATORS.map(([key, unit]) => row(t(`ind.${key}`), p.indicators[key] === null ? t("unknown") : `${fmt(p.indicators[key])} ${unit}`))));
  const e = p.economics || {};
  const price = e.fair_price_min_eur === null || e.fair_price_min_eur === undefined || e.fair_price_max_eur === null || e.fair_price_max_eur === undefined
    ? t("unknown") : t("econ.fair_price_value", { min: fmt(e.fair_price_min_eur, 2), max: fmt(e.fair_price_max_eur, 2), unit: e.fair_price_unit || p.unit.split("/")[0] });
  const economics = el("table", { className: "figures economics" }, el("tbody", {},
    ECONOMICS.map((key) => row(t(`econ.${key}`), e[key] === null || e[key] === undefined ? t("unknown") : `${known(e[key])} EUR`)),
    row(t("econ.fair_price"), price)));
  const card = el("article", { className: `proposal-card ${p.status}`, "data-id": p.id },
    el("header", {}, el("h3", {}, t("proposal.heading", { id: p.id })), badge(p.status)),
    el("p", { className: "what" }, what, " → ", materialLabel(p.need_material)),
    el("div", { className: "card-grid" },
      el("section", {}, el("h4", {}, t("proposal.counterpart")), counterpart),
      el("section", {}, el("h4", {}, t("proposal.indicators")), effects),
      el("section", {}, el("h4", {}, t("proposal.economics")), economics)),
    el("details", {}, el("summary", {}, t("proposal.why")), ...explanation(p)),
    el("p", { className: "decisions" }, `${t("proposal.your_decision")}: `, badge(p.your_decision),
      ` · ${t("proposal.their_decision")}: `, badge(p.counterpart_decision)));
  if (p.status === "sent" && !p.your_decision) {
    const reason = el("input", { className: "decline-reason", maxlength: 4000, placeholder: t("proposal.reason"), "aria-label": t("proposal.reason") });
    const message = el("p", { className: "note decide-status" });
    const decide = async (decision) => {
      try {
        const body = decision === "decline" && reason.value.trim() ? { reason: reason.value.trim() } : undefined;
        await api(`proposals/${p.id}/${decision}`, { method: "POST", body });
        note($("inbox-status"), t(decision === "accept" ? "proposal.accepted" : "proposal.declined", { id: p.id }));
        inbox.focusAfterDraw = p.id;  // each redraw of the cards puts focus back in the list (restoreFocus)
        await Promise.all([loadProposals(), loadExchanges(), loadListings()]);
      } catch (error) {
        note(message, t("error", { msg: error.message }), true);
      }
    };
    card.append(el("div", { className: "decide" },
      el("button", { type: "button", className: "accept", onclick: () => decide("accept") }, t("proposal.accept")),
      reason,
      el("button", { type: "button", className: "decline secondary", onclick: () => decide("decline") }, t("proposal.decline"))),
    message);
  }
  return card;
}

/** Why the proposal: on the Danish page a Danish sentence from the proposal's rule, yield and distance
 * (its effects and economics stand in the card), then the engine's own sentence, which is English. */
function explanation(p) {
  const engine = el("p", { className: "explanation", lang: "en" }, p.explanation);
  if (currentLang() === "en") return [engine];
  const text = t("proposal.why_text", {
    rule: p.rule_id, material: materialLabel(p.material), need: materialLabel(p.need_material),
    yield: fmt(p.yield, 3), km: fmt(p.distance_km, 1), mode: t(`mode.${p.transport_mode}`) });
  return [el("p", { className: "explanation" }, text), el("p", { className: "hint" }, t("proposal.engine_text")), engine];
}

/** After an answer, focus goes on to the next proposal to answer, else back to the one answered, on
 * every redraw of the cards (which detaches the focused button), until the user moves elsewhere. */
function restoreFocus() {
  const id = inbox.focusAfterDraw;
  if (id === undefined || id === null) return;
  const active = document.activeElement;
  if (active && active !== document.body && !active.closest("#proposal-list")) {
    inbox.focusAfterDraw = null;
    return;
  }
  const next = document.querySelector("#proposal-list .decide button.accept");
  const same = document.querySelector(`#proposal-list [data-id="${id}"] h3`);
  if (next) next.focus();
  else if (same) { same.tabIndex = -1; same.focus(); }
}

function drawProposals() {
  const open = (p) => (p.status === "sent" && !p.your_decision ? 0 : 1);
  const sorted = [...inbox.proposals].sort((a, b) => open(a) - open(b) || b.id - a.id);
  $("proposal-list").replaceChildren(...(sorted.length ? sorted.map(proposalCard)
    : [el("p", { className: "note empty" }, t("proposals.empty"))]));
  restoreFocus();
}

// --- exchanges -----------------------------------------------------------------------------------

async function loadExchanges() {
  inbox.exchanges = await all("exchanges?status=active");
  drawExchanges();
}

function drawExchanges() {
  const me = state.me.company_id;
  fillTable($("exchanges"), [["#"], [t("listing.material")], [t("listing.quantity"), true], [t("exchange.partner")],
    [t("proposal.distance"), true], [t("ind.value_eur"), true], [t("exchange.since")]],
  inbox.exchanges.map((x) => [String(x.id), `${materialLabel(x.material)} → ${materialLabel(x.need_material)}`,
    `${fmt(x.quantity)} ${x.unit}`, x.supplier_id === me ? x.receiver_id : x.supplier_id,
    `${fmt(x.distance_km, 1)} km`, known(x.indicators.value_eur), date(x.started_at)]),
  t("exchanges.empty"));
}

// --- listings the last sent round left without a proposal ---------------------------------------------

async function loadUnmatched() {
  inbox.unmatched = await api("me/unmatched?limit=500");
  drawUnmatched();
}

function drawUnmatched() {
  const result = inbox.unmatched;
  if (!result) return;
  const none = result.rounds_sent === 0;
  $("mine-unmatched-note").textContent = t(none ? "mine_unmatched.no_round" : "mine_unmatched.note");
  // the reason in the page's language, from its kind; the API's sentence where the page knows none
  fillTable($("mine-unmatched"), [[t("listing.id")], [t("listing.kind")], [t("listing.material")], [t("mine_unmatched.round")],
    [t("mine_unmatched.reason")]],
  result.data.map((u) => [u.listing_id, t(`kind.${u.kind}`), materialLabel(u.material), `${u.round_name} (#${u.round_id})`,
    t(`reason_kind.${u.reason_kind}`) === `reason_kind.${u.reason_kind}` ? u.reason : t(`reason_kind.${u.reason_kind}`)]),
  t(none ? "mine_unmatched.no_round" : "mine_unmatched.empty"));
}

export function startInbox() {
  $("listing-form").addEventListener("submit", saveListing);
  $("listing-cancel").addEventListener("click", resetForm);
  // Escape leaves an edit as the Cancel button does
  $("listing-form").addEventListener("keydown", (event) => { if (event.key === "Escape" && inbox.editing) resetForm(); });
  $("listing-material").addEventListener("input", searchMaterials);
}
