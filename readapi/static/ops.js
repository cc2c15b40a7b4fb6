// The operations page: reads /v1/ops/* with the operator's token (kept in this browser
// session only) and redraws every few seconds. Values are set as text, never as HTML.
"use strict";

const KEY = "roster.ops.token";
const EVERY = Math.max(1, Number(new URLSearchParams(location.search).get("refresh")) || 5);

function cell(text, className) {
  const td = document.createElement("td");
  if (className) td.className = className;
  td.textContent = text;
  return td;
}

function badge(state) {
  const td = document.createElement("td");
  const span = document.createElement("span");
  span.className = "state " + state;
  span.textContent = state;
  td.appendChild(span);
  return td;
}

function bar(ratio) {
  const td = document.createElement("td");
  const outer = document.createElement("span");
  outer.className = "bar";
  const inner = document.createElement("span");
  inner.style.width = Math.round(ratio * 100) + "%";
  outer.appendChild(inner);
  td.appendChild(outer);
  td.appendChild(document.createTextNode(Math.round(ratio * 100) + "%"));
  return td;
}

function when(iso) {
  return iso ? new Date(iso).toISOString().replace("T", " ").slice(0, 19) + " UTC" : "—";
}

function fill(id, rows, empty, columns) {
  const body = document.querySelector("#" + id + " tbody");
  body.replaceChildren();
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    const td = cell(empty, "empty");
    td.colSpan = columns;
    tr.appendChild(td);
    body.appendChild(tr);
    return;
  }
  for (const row of rows) {
    const tr = document.createElement("tr");
    for (const td of row) tr.appendChild(td);
    body.appendChild(tr);
  }
}

function stateOf(p) {
  if (p.dead_letters > 0 || (p.verification && p.verification.differences > 0)) return "failing";
  if (p.rebuild) return "rebuilding";
  return p.lag_positions > 0 ? "behind" : "ok";
}

function verification(v) {
  if (!v) return "never";
  const found = v.differences === 0 ? "agrees" : v.differences + " differences";
  return found + " at " + v.position + ", " + when(v.checked_at);
}

function draw(ops, letters, exports) {
  fill("projections", ops.projections.map((p) => [
    cell(p.projection), badge(stateOf(p)),
    cell(p.live ? p.live.generation + " (v" + p.live.version + ")" : "none"),
    cell(String(p.applied_position)),
    cell(p.lag_positions + " positions, " + p.lag_seconds + " s"),
    cell(String(p.dead_letters)), cell(verification(p.verification)),
  ]), "No projection yet.", 7);
  fill("rebuilds", ops.projections.filter((p) => p.rebuild).map((p) => [
    cell(p.projection), cell(String(p.rebuild.generation)), bar(p.rebuild.progress),
    cell(p.rebuild.position + " of " + p.rebuild.target),
    cell(String(p.rebuild.events_per_second)), cell(when(p.rebuild.started_at)),
  ]), "No rebuild under way.", 6);
  fill("dead-letters", letters.items.map((d) => [
    cell(d.projection), cell(String(d.position)), cell(d.agent_id), cell(d.event_type),
    cell(d.state), cell(String(d.attempts)), cell(d.error, "error-text"), cell(when(d.parked_at)),
  ]), "No dead letters.", 8);
  fill("exports", exports.items.map((r) => [
    cell(r.id.slice(0, 8)), cell(r.state), cell(r.definition.format), cell(r.created_by),
    cell(r.rows_written + (r.rows_total === null ? "" : " of " + r.rows_total)),
    cell(when(r.created_at)),
  ]), "No export queued or running.", 6);
}

function say(text, error) {
  const status = document.getElementById("status");
  status.textContent = text;
  status.className = error ? "error" : "";
}

async function read(path, token) {
  const answer = await fetch(path, { headers: { Authorization: "Bearer " + token } });
  if (!answer.ok) {
    let detail = answer.statusText;
    try { detail = (await answer.json()).detail || detail; } catch (ignored) { /* not JSON */ }
    throw new Error(answer.status + ": " + detail);
  }
  return answer.json();
}

async function refresh() {
  const token = sessionStorage.getItem(KEY);
  if (!token) return;
  try {
    const [ops, letters, exports] = await Promise.all([
      read("/v1/ops/projections", token), read("/v1/ops/dead-letters", token),
      read("/v1/ops/exports", token)]);
    draw(ops, letters, exports);
    say("Log head " + ops.log_head + " · updated " + new Date().toLocaleTimeString() +
        " · every " + EVERY + " s", false);
  } catch (error) {
    say("Refused or unreachable: " + error.message, true);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("login").addEventListener("submit", (event) => {
    event.preventDefault();
    const field = document.getElementById("token");
    sessionStorage.setItem(KEY, field.value.trim());
    field.value = "";
    refresh();
  });
  document.getElementById("forget").addEventListener("click", () => {
    sessionStorage.removeItem(KEY);
    say("Token forgotten. Paste an operator token to see the read models.", false);
  });
  refresh();
  setInterval(refresh, EVERY * 1000);
});
