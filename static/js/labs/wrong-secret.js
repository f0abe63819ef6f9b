// Live demo of the wrong-secret lab: log in (the issuer signs), call the API (the verifier
// checks), and show both keys' fingerprints side by side.
const demo = document.getElementById("demo");
const base = demo.dataset.base;
const state = document.getElementById("demo-state");
const compare = document.getElementById("kid-compare");
const verdict = document.getElementById("kid-verdict");
const issuerKid = document.getElementById("issuer-kid");
const verifierKid = document.getElementById("verifier-kid");
const startupTable = document.getElementById("startup-table");
const VERIFIER_KID_HEADER = "X-Lab-Verifier-Kid";

const SETTINGS_LABELS = {
  configured: "set to this lab's key",
  missing: "not set",
  default: "the built-in default",
  short: "a 13-character key",
};

async function call(method, endpoint) {
  const response = await fetch(`${base}/${endpoint}`, { method, credentials: "same-origin" });
  const body = await response.json().catch(() => ({}));
  return { status: response.status, body, headers: response.headers };
}

function setState(name, text) {
  state.dataset.state = name;
  state.textContent = text;
}

function showKid(element, kid) {
  element.dataset.kid = kid || "";
  element.textContent = kid ? `kid ${kid}` : "not yet known";
  const both = issuerKid.dataset.kid && verifierKid.dataset.kid;
  const same = issuerKid.dataset.kid === verifierKid.dataset.kid;
  compare.dataset.match = both ? (same ? "same" : "different") : "unknown";
  verdict.textContent = both ? (same ? "=" : "≠") : "?";
  verdict.setAttribute("aria-label", both ? (same ? "the same key" : "different keys") : "not compared yet");
}

async function logIn() {
  const result = await call("POST", "login");
  if (result.status !== 200) {
    setState("failed", `Log in failed: ${result.status} ${result.body.error || ""}`);
    return;
  }
  showKid(issuerKid, result.body.issuer_kid);
  setState("logged-in", `Logged in: the issuer signed the token with key ${result.body.issuer_kid}. Now call the API.`);
}

async function callApi() {
  const result = await call("GET", "me");
  showKid(verifierKid, result.headers.get(VERIFIER_KID_HEADER));
  if (result.status === 200) {
    setState("ok", `200 OK: the API accepted the token (user "${result.body.user}").`);
  } else {
    const detail = result.body.detail ? ` (${result.body.detail})` : "";
    setState("failed", `${result.status} ${result.body.error}: ${result.body.message}${detail}`);
  }
}

function cell(row, text, className = "") {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  row.append(td);
}

function describeSide(side) {
  if (!side.starts) return { text: `refuses to start: ${side.refused}`, kind: "refused" };
  const which = side.is_default ? " (the default key)" : side.too_short ? " (too short)" : "";
  return { text: `starts with kid ${side.kid}${which}`, kind: which ? "weak" : "good" };
}

async function runStartup() {
  const result = await call("GET", "startup");
  const rows = Object.entries(result.body.with_settings || {}).map(([name, sides]) => {
    const row = document.createElement("tr");
    row.dataset.settings = name;
    cell(row, SETTINGS_LABELS[name] || name);
    for (const side of [sides.issuer, sides.verifier]) {
      const { text, kind } = describeSide(side);
      cell(row, text, `startup-${kind}`);
    }
    return row;
  });
  startupTable.tBodies[0].replaceChildren(...rows);
  startupTable.dataset.state = "done";
}

document.getElementById("demo-login").addEventListener("click", logIn);
document.getElementById("demo-call").addEventListener("click", callApi);
document.getElementById("demo-startup").addEventListener("click", runStartup);
