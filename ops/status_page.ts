/**
 * The live status page served at GET / : plain HTML and JavaScript, no
 * framework, no external file (it is part of the executable). It polls
 * /status once a second and draws the cluster's members, their roles and
 * lag, and a sparkline of applied commands per second. With --auth it sends
 * `Authorization: Bearer <token>`, the token taken from the URL's fragment
 * (`/#token=…`, never sent to the server by the browser) or asked for once.
 */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>uhaha status</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1d232a; background: #f6f7f9; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  #summary { color: #4a5560; margin-bottom: 16px; }
  table { border-collapse: collapse; background: #fff; box-shadow: 0 1px 2px #0002; min-width: 560px; }
  th, td { padding: 6px 12px; text-align: left; border-bottom: 1px solid #e3e6ea; }
  th { background: #eef0f3; font-weight: 600; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .role { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; background: #dfe3e8; }
  .role-leader { background: #1f7a3d; color: #fff; }
  .role-candidate, .role-preCandidate { background: #b26b00; color: #fff; }
  .self td:first-child::after { content: " (this node)"; color: #6b7680; }
  #throughput { margin-top: 20px; background: #fff; box-shadow: 0 1px 2px #0002; padding: 8px 12px; display: inline-block; }
  #error { color: #b00020; margin-top: 12px; }
</style>
</head>
<body>
<h1 id="title">uhaha</h1>
<div id="summary">connecting…</div>
<table>
  <thead><tr><th>node</th><th>address</th><th>role</th><th>voter</th><th>match index</th><th>lag</th></tr></thead>
  <tbody id="nodes"></tbody>
</table>
<div id="throughput">
  <div>applied commands/s: <strong id="rate">–</strong></div>
  <svg id="spark" width="480" height="60" viewBox="0 0 480 60"><polyline id="line" fill="none" stroke="#1f6feb" stroke-width="2" points=""></polyline></svg>
</div>
<div id="error"></div>
<script>
"use strict";
const POLL_MS = 1000, POINTS = 60;
let token = new URLSearchParams(location.hash.slice(1)).get("token");
const rates = [];
let previous;

function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function render(report) {
  const n = report.node;
  document.getElementById("title").textContent = n.app + " " + n.version + " · node " + n.id;
  const leaders = report.nodes.filter((m) => m.role === "leader").length;
  document.getElementById("summary").textContent =
    report.nodes.length + " nodes, " + leaders + " leader" + (leaders === 1 ? "" : "s") +
    " · term " + n.term + " · commit " + n.commitIndex + " · applied " + n.appliedIndex;
  const body = document.getElementById("nodes");
  body.replaceChildren(...report.nodes.map((m) => {
    const tr = document.createElement("tr");
    tr.className = "node" + (m.self ? " self" : "");
    tr.dataset.role = m.role;
    tr.dataset.id = String(m.id);
    const role = document.createElement("span");
    role.className = "role role-" + m.role;
    role.textContent = m.role;
    const roleCell = cell("");
    roleCell.appendChild(role);
    tr.append(cell(String(m.id)), cell(m.address), roleCell, cell(m.voter ? "yes" : "no"),
      cell(m.matchIndex === null ? "–" : String(m.matchIndex), "num"), cell(m.lag === null ? "–" : String(m.lag), "num"));
    return tr;
  }));
  if (previous && report.time > previous.time) {
    const rate = (report.counters.appliedCommands - previous.counters.appliedCommands) * 1000 / (report.time - previous.time);
    rates.push(Math.max(0, rate));
    if (rates.length > POINTS) rates.shift();
    document.getElementById("rate").textContent = rate.toFixed(1);
    const top = Math.max(1, ...rates);
    document.getElementById("line").setAttribute("points",
      rates.map((r, i) => (i * 480 / (POINTS - 1)).toFixed(1) + "," + (58 - r * 56 / top).toFixed(1)).join(" "));
  }
  previous = report;
}

async function poll() {
  try {
    const headers = token ? { Authorization: "Bearer " + token } : {};
    const response = await fetch("/status", { headers, cache: "no-store" });
    if (response.status === 401) {
      token = prompt("This node needs its --auth secret:") || "";
      throw new Error("authentication required");
    }
    if (!response.ok) throw new Error("/status answered " + response.status);
    render(await response.json());
    document.getElementById("error").textContent = "";
  } catch (error) {
    document.getElementById("error").textContent = String(error.message || error);
  }
  setTimeout(poll, POLL_MS);
}
poll();
</script>
</body>
</html>
`;
