// The fact-checker's desk: plain DOM, no framework. Text from the API only ever goes in as text nodes
// (textContent, append of strings), never as HTML, so an article's text cannot become markup.
"use strict";

const KEY_STORE = "factdesk.key"; // sessionStorage: gone with the tab, never in the address bar
const MAX_CLAIM = 2000;
const VERDICTS = {
  supported: "Supported",
  refuted: "Refuted",
  conflicting: "Conflicting evidence",
  not_enough_evidence: "Not enough evidence",
  not_checkworthy: "Not check-worthy",
};
const STANCES = { supports: "Supports", conflicts: "Conflicts", neutral: "Neutral" };

let pending = null; // what to run again once a key has been given after a 401

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  const key = sessionStorage.getItem(KEY_STORE);
  if (key) headers.Authorization = "Bearer " + key;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = (data && (data.detail || data.title)) || response.statusText || "request failed";
    throw new ApiError(response.status, detail);
  }
  return data;
}

// ---- text with marks -------------------------------------------------------------------------------

// The API counts characters as code points (Python); JavaScript strings index UTF-16 units, so slice
// code-point arrays to keep offsets right past an emoji or any other character outside the BMP.
function marked(text, spans) {
  const chars = Array.from(text);
  const out = document.createDocumentFragment();
  let at = 0;
  for (const span of [...spans].sort((a, b) => a.start - b.start)) {
    if (span.start < at || span.end <= span.start || span.end > chars.length) continue;
    out.append(chars.slice(at, span.start).join(""));
    out.append(el("mark", { title: span.detail }, chars.slice(span.start, span.end).join("")));
    at = span.end;
  }
  out.append(chars.slice(at).join(""));
  return out;
}

function cueSpans(cues, side) {
  return cues.filter((c) => c[side]).map((c) => ({ start: c[side].start, end: c[side].end, detail: c.detail }));
}

function percent(x) {
  return Math.round(x * 100) + "%";
}

// A decided verdict with how often such a verdict is right; an undecided one with what the evidence leans to
// ("leans supported, 0.55"), never a confidence in "not enough evidence" that reads like one in the claim.
function verdictDetail(result) {
  if (result.verdict !== "not_enough_evidence") return "confidence " + percent(result.confidence);
  if (!result.leaning) return "nothing leans either way";
  const p = result.probabilities ? result.probabilities[result.leaning] : null;
  const label = (VERDICTS[result.leaning] || result.leaning).toLowerCase();
  return "leans " + label + (p === null || p === undefined ? "" : ", " + p.toFixed(2));
}

function plural(n, word) {
  return `${n.toLocaleString("en")} ${word}${n === 1 ? "" : "s"}`;
}

function safeLink(url, label) {
  // only web addresses become links: a javascript: or data: url from an article stays text
  if (url && /^https?:\/\//i.test(url)) return el("a", { href: url, rel: "noopener noreferrer" }, label || url);
  return url ? el("span", {}, label || url) : null;
}

// ---- rendering -------------------------------------------------------------------------------------

function sourceLine(ref, date) {
  const parts = el("span", { class: "source" });
  parts.append(el("span", { class: "publisher" }, ref.publisher || "publisher unknown"));
  if (ref.title) parts.append(" · ", el("cite", {}, ref.title));
  parts.append(" · ", el("time", { class: "date" }, date || ref.published_at || "undated"));
  if (ref.url) parts.append(" · ", safeLink(ref.url, "link"));
  return parts;
}

function evidenceItem(e) {
  const item = el("li", { class: "evidence stance-" + e.stance, "data-stance": e.stance });
  const head = el("p", { class: "evidence-head" });
  head.append(
    el("span", { class: "stance stance-" + e.stance }, STANCES[e.stance] || e.stance),
    el("span", { class: "muted" }, " similarity " + e.similarity.toFixed(2)),
  );
  item.append(head, el("blockquote", { class: "statement" }, marked(e.text, cueSpans(e.cues, "statement"))));
  const meta = el("p", { class: "meta" });
  meta.append("Speaker: ", el("span", { class: "speaker" }, e.speaker || "not attributed"));
  item.append(meta);
  if (e.reading) {
    // the claim said in this statement's words, which is what the stance was read against
    item.append(el("p", { class: "meta reading" }, "Read as: ", el("q", {}, e.reading)));
  }
  const sources = el("ul", { class: "sources" });
  for (const ref of e.sources && e.sources.length ? e.sources : [e.article]) {
    sources.append(el("li", {}, sourceLine(ref, ref.id === e.article.id ? e.published_at : null)));
  }
  item.append(sources);
  if (e.cues.length) {
    const cues = el("ul", { class: "cues" });
    for (const c of e.cues) cues.append(el("li", {}, el("span", { class: "cue-kind" }, c.kind), ": ", c.detail));
    item.append(cues);
  }
  return item;
}

function renderCheck(result) {
  const box = el("article", { class: "check" });
  const verdict = el("p", { class: "verdict verdict-" + result.verdict, "data-verdict": result.verdict });
  verdict.append(
    el("strong", { class: "verdict-label" }, VERDICTS[result.verdict] || result.verdict),
    " ",
    el("span", { class: "confidence" }, verdictDetail(result)),
  );
  const claimSpans = result.evidence.flatMap((e) => cueSpans(e.cues, "claim"));
  const claim = el("p", { class: "claim" }, "Claim: ", el("q", {}, marked(result.claim, claimSpans)));
  const counts = el(
    "p",
    { class: "muted" },
    `Publishers supporting: ${result.supporting_publishers}, conflicting: ${result.conflicting_publishers}`,
  );
  box.append(verdict, claim, counts);
  if (result.fact_checks && result.fact_checks.length) {
    const checks = el("ul", { class: "fact-checks" });
    for (const f of result.fact_checks) {
      checks.append(
        el("li", {}, el("strong", {}, f.rating), " — ", f.claim_reviewed, " (", f.reviewer || "reviewer unknown",
          ") ", safeLink(f.url, "review")),
      );
    }
    box.append(el("h3", {}, "Earlier fact-checks"), checks);
  }
  if (result.evidence.length) {
    const list = el("ol", { class: "evidence-list" });
    for (const e of result.evidence) list.append(evidenceItem(e));
    box.append(el("h3", {}, "Evidence"), list);
  } else {
    box.append(el("p", {}, "Nothing in the archive is on this topic."));
  }
  return box;
}

function legend() {
  const list = el("ul", { class: "legend", "aria-label": "Legend" });
  for (const [verdict, label] of Object.entries(VERDICTS)) {
    list.append(el("li", {}, el("span", { class: "sentence verdict-" + verdict }, label)));
  }
  return list;
}

function sentenceNode(s, index, detail) {
  const node = el("span", {
    class: "sentence",
    "data-index": String(index),
    role: "button",
    tabindex: "0",
    "aria-expanded": "false",
    "aria-controls": "draft-detail",
  }, s.text);
  const show = () => {
    const verdict = s.result ? s.result.verdict : "not_checkworthy";
    const label = s.result
      ? `${VERDICTS[verdict]}, ${verdictDetail(s.result)}`
      : `not check-worthy (${s.checkworthiness.toFixed(2)}): check anyway`;
    node.className = "sentence verdict-" + verdict;
    node.setAttribute("data-verdict", verdict);
    node.title = label;
    node.setAttribute("aria-label", `${label}: ${s.text}`);
  };
  const open = async () => {
    for (const other of document.querySelectorAll(".sentence[aria-expanded='true']")) {
      other.setAttribute("aria-expanded", "false");
    }
    node.setAttribute("aria-expanded", "true");
    if (!s.result) {
      // "check anyway": a sentence below the level is checked when the reader asks for it
      detail.replaceChildren(el("p", { class: "muted", role: "status" }, "Checking…"));
      try {
        s.result = await api("POST", "/v1/check", { claim: s.text, language: "en" });
      } catch (error) {
        detail.replaceChildren(el("p", { class: "error", role: "alert" }, `${error.status || ""} ${error.message}`.trim()));
        return;
      }
      show();
    }
    detail.replaceChildren(renderCheck(s.result));
  };
  node.addEventListener("click", open);
  node.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      open();
    }
  });
  show();
  return node;
}

function renderDocument(text, response) {
  const box = el("article", { class: "document" });
  const counts = {};
  for (const s of response.statements) {
    const v = s.result ? s.result.verdict : "not_checkworthy";
    counts[v] = (counts[v] || 0) + 1;
  }
  const summary = Object.entries(counts).map(([v, n]) => `${n} ${VERDICTS[v].toLowerCase()}`).join(", ");
  box.append(
    el("p", { class: "summary" }, `${response.statements.length} sentences, ${response.checked} checked: ${summary}`),
    legend(),
  );
  const detail = el("div", { id: "draft-detail", class: "draft-detail" });
  const draft = el("p", { class: "draft" });
  const chars = Array.from(text);
  let at = 0;
  response.statements.forEach((s, index) => {
    if (s.start > at) draft.append(chars.slice(at, s.start).join(""));
    draft.append(sentenceNode(s, index, detail));
    at = Math.max(at, s.end);
  });
  draft.append(chars.slice(at).join(""));
  box.append(
    draft,
    el("p", { class: "muted" }, "Choose a sentence to see its evidence; one marked not check-worthy is checked when chosen."),
    detail,
  );
  return box;
}

function renderSearch(response) {
  const box = el("article", { class: "search" });
  box.append(el("h3", {}, `${response.hits.length} statements for `, el("q", {}, response.query)));
  const list = el("ol", { class: "hits" });
  for (const hit of response.hits) {
    list.append(
      el("li", { class: "hit" },
        el("blockquote", { class: "statement" }, hit.text),
        el("p", { class: "meta" }, "Speaker: ", el("span", { class: "speaker" }, hit.speaker || "not attributed"),
          el("span", { class: "muted" }, ` · score ${hit.score.toFixed(2)} (similarity ${hit.similarity.toFixed(2)})`)),
        el("p", { class: "meta" }, sourceLine(hit.article, null))),
    );
  }
  box.append(list);
  return box;
}

// ---- actions ---------------------------------------------------------------------------------------

function showResult(node) {
  const results = $("results");
  results.replaceChildren(node);
  results.setAttribute("aria-busy", "false");
}

function showBusy(what) {
  const results = $("results");
  results.setAttribute("aria-busy", "true");
  results.replaceChildren(el("p", { class: "muted busy" }, what));
}

function showError(error, retry) {
  if (error.status === 401) {
    pending = retry;
    askForKey(error.message);
  }
  showResult(el("p", { class: "error", role: "alert" }, `${error.status || ""} ${error.message}`.trim()));
}

// the address bar always holds a link to what the page shows: the claim or the query, never the key
function setLink(name, value) {
  const url = new URL(window.location.href);
  url.searchParams.delete("claim");
  url.searchParams.delete("q");
  if (value && value.length <= MAX_CLAIM) url.searchParams.set(name, value);
  history.replaceState(null, "", url.pathname + url.search);
}

function sentenceCount(text) {
  return text.split(/(?<=[.!?]["'”’)\]]*)\s+(?=["'“‘(\[]?[A-Z0-9])/u).filter((s) => s.trim()).length;
}

async function check(text, wholeDraft) {
  const claim = text.trim();
  if (!claim) return;
  setLink("claim", claim);
  const asDraft = wholeDraft || sentenceCount(claim) > 1 || claim.length > MAX_CLAIM;
  showBusy(asDraft ? "Checking the draft, sentence by sentence…" : "Checking…");
  try {
    if (asDraft) {
      showResult(renderDocument(claim, await api("POST", "/v1/check/document", { text: claim })));
    } else {
      showResult(renderCheck(await api("POST", "/v1/check", { claim })));
    }
  } catch (error) {
    showError(error, () => check(text, wholeDraft));
  }
}

async function search(query) {
  const q = query.trim();
  if (!q) return;
  setLink("q", q);
  showBusy("Searching…");
  try {
    showResult(renderSearch(await api("GET", "/v1/search?" + new URLSearchParams({ q, k: "10" }))));
  } catch (error) {
    showError(error, () => search(query));
  }
}

function articleBody(form) {
  const body = {};
  for (const name of ["text", "url", "title", "publisher", "published_at"]) {
    const value = form.elements[name].value.trim();
    if (value) body[name] = value;
  }
  return body;
}

async function addArticle(form) {
  const status = $("article-result");
  const body = articleBody(form);
  status.className = "";
  if (!body.text && !body.url) {
    status.className = "error";
    status.textContent = "Give the article's text or its address.";
    return;
  }
  status.textContent = body.text ? "Adding…" : "Fetching and adding…";
  try {
    const response = await api("POST", "/v1/articles", body);
    const a = response.articles[0];
    status.textContent = `Article ${a.id}: ${a.status}, ${a.statements} statements.`;
    form.reset();
    refreshSize();
  } catch (error) {
    if (error.status === 401) {
      pending = () => addArticle(form);
      askForKey(error.message);
    }
    status.className = "error";
    status.textContent = `${error.status || ""} ${error.message}`.trim();
  }
}

// ---- keys ------------------------------------------------------------------------------------------

function askForKey(why) {
  const form = $("key-form");
  const said = why ? why.charAt(0).toUpperCase() + why.slice(1) + ". " : "";
  $("key-why").textContent = said + "The key is kept in this tab only (sessionStorage), never in the address.";
  form.hidden = false;
  $("key").focus();
}

function showScopes(me) {
  $("article-form").hidden = !me.scopes.includes("ingest");
  $("key-status").hidden = !me.keys;
  if (me.keys) $("key-who").textContent = `Key “${me.name || me.key_id}”: ${me.scopes.join(", ")}`;
  $("key-form").hidden = true;
}

async function whoami() {
  try {
    showScopes(await api("GET", "/v1/whoami"));
    return true;
  } catch (error) {
    $("article-form").hidden = true;
    if (error.status === 401) askForKey(error.message);
    else showResult(el("p", { class: "error", role: "alert" }, error.message));
    return false;
  }
}

async function refreshSize() {
  try {
    const health = await api("GET", "/health");
    $("archive-size").textContent = `Archive: ${plural(health.articles, "article")}, ${plural(health.statements, "statement")}`;
  } catch {
    $("archive-size").textContent = "";
  }
}

// ---- wiring ----------------------------------------------------------------------------------------

function fromLink() {
  const params = new URLSearchParams(window.location.search);
  const claim = params.get("claim");
  const q = params.get("q");
  if (claim) {
    $("claim").value = claim;
    check(claim, false);
  } else if (q) {
    $("q").value = q;
    search(q);
  }
}

function wire() {
  $("check-form").addEventListener("submit", (event) => {
    event.preventDefault();
    check($("claim").value, false);
  });
  $("draft-button").addEventListener("click", () => {
    if ($("claim").reportValidity()) check($("claim").value, true);
  });
  $("claim").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("check-form").requestSubmit();
    }
  });
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    search($("q").value);
  });
  $("article-form").addEventListener("submit", (event) => {
    event.preventDefault();
    addArticle(event.target);
  });
  $("key-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY_STORE, $("key").value.trim());
    $("key").value = "";
    if (await whoami()) {
      const retry = pending;
      pending = null;
      if (retry) retry();
    }
  });
  $("key-forget").addEventListener("click", () => {
    sessionStorage.removeItem(KEY_STORE);
    whoami();
  });
}

async function start() {
  wire();
  refreshSize();
  if (await whoami()) fromLink();
  else pending = fromLink;
}

start();
