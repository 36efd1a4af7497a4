// The argstance page: send an article to POST /v1/annotate and show every sentence's role and stance.
// Everything the user or the model supplies is inserted as text (textContent), never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
let lastResult = null;
let limits = null;

function setStatus(message) {
  $("status").textContent = message;
}

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function percent(score) {
  return `${Math.round(score * 100)}%`;
}

function scoreLine(name, label) {
  const parts = Object.entries(label.scores).map(([key, value]) => `${key} ${value.toFixed(2)}`);
  return `${name}: ${label.label} (${parts.join(", ")})`;
}

async function loadInfo() {
  try {
    const response = await fetch("/v1/info");
    const info = await response.json();
    if (!response.ok) throw new Error(info.error ? info.error.message : response.statusText);
    limits = info.limits;
    $("model-info").textContent = `Model ${info.name}, version ${info.version}`;
    if (!$("target").value) $("target").value = info.default_target;
  } catch (err) {
    $("model-info").textContent = `Model information unavailable: ${err.message}`;
  }
}

function readFile(file) {
  if (!file) return;
  if (limits && file.size > limits.max_body_bytes) {
    showError(`${file.name} is ${file.size} bytes; the server accepts at most ${limits.max_body_bytes}.`);
    return;
  }
  const reader = new FileReader();
  reader.onload = () => {
    $("article-text").value = reader.result;
    $("format").value = /\.html?$/i.test(file.name) ? "html" : "text";
    setStatus(`Loaded ${file.name}. Press Annotate.`);
    showError("");
  };
  reader.onerror = () => showError(`Could not read ${file.name}.`);
  reader.readAsText(file);
}

function validate(text, target) {
  if (!text.trim()) return "Paste an article or upload a file first.";
  if (limits && text.length > limits.max_text_chars) {
    return `The article has ${text.length} characters; the limit is ${limits.max_text_chars}.`;
  }
  if (limits && target.length > limits.max_target_chars) {
    return `The target has ${target.length} characters; the limit is ${limits.max_target_chars}.`;
  }
  return "";
}

async function annotate(event) {
  event.preventDefault();
  const text = $("article-text").value;
  const target = $("target").value.trim();
  const problem = validate(text, target);
  showError(problem);
  if (problem) return;
  const body = { text };
  if (target) body.target = target;
  if ($("format").value) body.format = $("format").value;
  $("annotate-button").disabled = true;
  setStatus("Annotating…");
  try {
    const response = await fetch("/v1/annotate", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const result = await response.json();
    if (!response.ok) throw new Error(result.error ? result.error.message : response.statusText);
    lastResult = result;
    render(result);
    $("download-button").disabled = false;
    setStatus(`${result.sentences.length} sentences annotated in ${Math.round(result.timings_ms.total)} ms.`);
  } catch (err) {
    setStatus("");
    showError(`Annotation failed: ${err.message}`);
  } finally {
    $("annotate-button").disabled = false;
  }
}

function render(result) {
  renderArticle(result);
  renderSummary(result.summary);
  $("results").hidden = false;
  $("details-body").textContent = "Hover over a sentence, or move to it with Tab, to see its scores.";
}

function renderArticle(result) {
  const article = $("article");
  article.replaceChildren();
  let cursor = 0;
  for (const sentence of result.sentences) {
    if (sentence.start > cursor) article.append(result.text.slice(cursor, sentence.start));
    article.append(sentenceNode(sentence));
    cursor = sentence.end;
  }
  article.append(result.text.slice(cursor));
}

function sentenceNode(sentence) {
  const node = element("span", `sentence role-${sentence.role.label}`, sentence.text);
  node.tabIndex = 0;
  node.dataset.index = sentence.index;
  node.title = `${scoreLine("role", sentence.role)}\n${scoreLine("stance", sentence.stance)}`;
  node.setAttribute("aria-label", `${sentence.role.label}, ${sentence.stance.label}: ${sentence.text}`);
  const badge = element("span", `badge stance-${sentence.stance.label}`, sentence.stance.label);
  badge.setAttribute("aria-hidden", "true");
  node.append(badge);
  const show = () => showDetails(sentence, node);
  node.addEventListener("mouseenter", show);
  node.addEventListener("focus", show);
  return node;
}

function showDetails(sentence, node) {
  for (const other of document.querySelectorAll(".sentence.selected")) other.classList.remove("selected");
  node.classList.add("selected");
  const body = element("div");
  body.id = "details-body";
  body.append(element("p", "", `Sentence ${sentence.index + 1}${sentence.chunked ? " (cut to fit the model)" : ""}`));
  const list = element("dl");
  for (const [name, label] of [["Role", sentence.role], ["Stance", sentence.stance]]) {
    list.append(element("dt", "", `${name}: ${label.label} (${percent(label.score)})`));
    const dd = element("dd");
    for (const [key, value] of Object.entries(label.scores)) dd.append(scoreRow(key, value));
    list.append(dd);
  }
  body.append(list);
  $("details-body").replaceWith(body);
}

function scoreRow(name, value) {
  const row = element("div", "score-row");
  const bar = element("span", "bar");
  const fill = element("span");
  fill.style.width = percent(value);
  bar.append(fill);
  row.append(element("span", "", name), bar, element("span", "", percent(value)));
  return row;
}

function renderSummary(summary) {
  fillCounts($("role-counts"), summary.roles);
  fillCounts($("stance-counts"), summary.stances);
  const scores = summary.article_stance.scores;
  const bar = $("lean-bar");
  bar.replaceChildren();
  for (const stance of ["favor", "neutral", "against"]) {
    const part = element("span", stance);
    part.style.width = percent(scores[stance] || 0);
    part.title = `${stance} ${percent(scores[stance] || 0)}`;
    bar.append(part);
  }
  const words = ["favor", "neutral", "against"].map((s) => `${s} ${percent(scores[s] || 0)}`).join(", ");
  bar.setAttribute("aria-label", `Article stance: ${words}`);
  $("lean-text").textContent =
    `Overall the article leans ${summary.article_stance.label} toward “${lastResult.target}” (${words}).`;
}

function fillCounts(table, counts) {
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const [label, count] of Object.entries(counts)) {
    const row = element("tr");
    row.append(element("td", "", label), element("td", "", String(count)));
    body.append(row);
  }
}

function download() {
  if (!lastResult) return;
  const blob = new Blob([JSON.stringify(lastResult, null, 1)], { type: "application/json" });
  const link = element("a");
  link.href = URL.createObjectURL(blob);
  link.download = `argstance-${lastResult.request_id}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

document.addEventListener("DOMContentLoaded", () => {
  $("annotate-form").addEventListener("submit", annotate);
  $("article-file").addEventListener("change", (event) => readFile(event.target.files[0]));
  $("download-button").addEventListener("click", download);
  $("article-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) $("annotate-form").requestSubmit();
  });
  loadInfo();
});
