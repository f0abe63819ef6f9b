// Live demo of the short-expiry lab: poll GET me every second and draw what happens.
const demo = document.getElementById("demo");
const state = document.getElementById("demo-state");
const timeline = document.getElementById("demo-timeline");
const startButton = document.getElementById("demo-start");
const base = demo.dataset.base;
const fixedMode = demo.dataset.mode === "fixed";
const RUN_SECONDS = 16;

let startedAt = 0;
let expiries = 0;
let refreshes = 0;

function mark(kind, text) {
  const item = document.createElement("li");
  item.className = `event event-${kind}`;
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  item.innerHTML = `<span class="at">${seconds} s</span> <span class="what"></span>`;
  item.querySelector(".what").textContent = text;
  timeline.append(item);
}

function setState(name, text) {
  state.dataset.state = name;
  state.textContent = text;
  demo.dataset.expiries = String(expiries);
  demo.dataset.refreshes = String(refreshes);
}

async function call(method, endpoint) {
  const response = await fetch(`${base}/${endpoint}`, { method, credentials: "same-origin" });
  const body = await response.json().catch(() => ({}));
  return { status: response.status, body };
}

// What this page does when a request answers 401, in each mode.
// [broken-client]
async function onUnauthorizedBroken(body) {
  mark("expired", `401 ${body.error}: the token expired`);
  setState("logged-out", `Logged out (${body.error}). The user must log in again.`);
  return false; // nothing to fall back on
}
// [/broken-client]

// [fixed-client]
async function onUnauthorizedFixed(body) {
  mark("expired", `401 ${body.error}: the token expired`);
  expiries += 1;
  const refreshed = await call("POST", "refresh");
  if (refreshed.status !== 200) {
    setState("logged-out", `Logged out: the refresh failed (${refreshed.body.error}).`);
    return false;
  }
  refreshes += 1;
  mark("refresh", "refreshed silently: new access token");
  return true; // retry the original request once
}
// [/fixed-client]

async function poll() {
  let result = await call("GET", "me");
  if (result.status === 401) {
    const recovered = await (fixedMode ? onUnauthorizedFixed : onUnauthorizedBroken)(result.body);
    if (!recovered) return false;
    result = await call("GET", "me");
  }
  if (result.status !== 200) {
    setState("logged-out", `Logged out (${result.body.error}).`);
    return false;
  }
  mark("ok", `200 me: token expires in ${result.body.expires_in} s`);
  setState("logged-in", `Logged in. Expiries so far: ${expiries}, silent refreshes: ${refreshes}.`);
  return true;
}

async function start() {
  startButton.disabled = true;
  timeline.replaceChildren();
  startedAt = Date.now();
  expiries = 0;
  refreshes = 0;
  const login = await call("POST", "login");
  mark("login", `logged in: access token valid for ${login.body.access_expires_in} s`);
  setState("logged-in", "Logged in.");
  const timer = setInterval(async () => {
    const stillIn = await poll();
    const elapsed = (Date.now() - startedAt) / 1000;
    if (!stillIn || elapsed > RUN_SECONDS) {
      clearInterval(timer);
      startButton.disabled = false;
      if (stillIn) {
        setState("done", `Still logged in after ${RUN_SECONDS} s: ${expiries} expiries, ${refreshes} silent refreshes.`);
      }
    }
  }, 1000);
}

startButton.addEventListener("click", start);
