// The dashboard: live countdowns, silent refresh when the access token runs out,
// and the server-rendered panel reloaded after every refresh (in this tab or another).
import {
  announceLogout, apiFetch, loginUrl, onSessionMessage, readCookie, refreshSession, sessionIsOver,
} from "./session.js";

const panel = document.getElementById("session-panel");
const status = document.getElementById("session-status");
let clockOffset = 0; // server time minus this browser's time, in seconds
let refreshes = 0;
let checking = false;
let lastCheck = 0;

function measureOffset() {
  const first = panel.querySelector(".countdown");
  if (first) clockOffset = Number(first.dataset.serverNow) - Date.now() / 1000;
}

function serverNow() {
  return Date.now() / 1000 + clockOffset;
}

// The server writes times in UTC; show them in this browser's time zone.
function showLocalTimes() {
  for (const time of panel.querySelectorAll("time[data-epoch]")) {
    const date = new Date(Number(time.dataset.epoch) * 1000);
    time.dateTime = date.toISOString();
    time.textContent = date.toLocaleTimeString();
  }
}

function formatLeft(seconds) {
  if (seconds <= 0) return "expired";
  if (seconds < 120) return `${Math.ceil(seconds)} s left`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)} min left`;
  const hours = Math.floor(seconds / 3600);
  return hours >= 24 ? `${Math.floor(hours / 24)} d ${hours % 24} h left` : `${hours} h left`;
}

function tick() {
  for (const countdown of panel.querySelectorAll(".countdown")) {
    const left = Number(countdown.dataset.end) - serverNow();
    countdown.querySelector("progress").value = Math.max(left, 0);
    countdown.querySelector(".countdown-left").textContent = formatLeft(left);
    countdown.classList.toggle("expired", left <= 0);
    if (countdown.dataset.kind === "access" && left <= 0) checkSession("expired");
  }
}

async function reloadPanel() {
  const response = await fetch(panel.dataset.panelUrl, { credentials: "same-origin" });
  if (response.ok && !response.redirected) {
    panel.innerHTML = await response.text();
    measureOffset();
    showLocalTimes();
    tick();
  }
}

// The status line, shaped like the server's: "Signed in as <strong>name</strong>."
function showStatus(username, news) {
  const name = document.createElement("strong");
  name.textContent = username;
  status.replaceChildren("Signed in as ", name, `. ${news}`);
}

function accessCountdown() {
  return panel.querySelector(".countdown[data-kind=access]");
}

// True when the access token this panel shows is still the one in the cookie and has run out.
// Its CSRF cookie changes with every new token, so a refresh by another tab shows up here.
function shownTokenExpired() {
  const shown = accessCountdown();
  return Boolean(shown) && readCookie("csrf_access_token") === shown.dataset.csrf
    && Number(shown.dataset.end) <= serverNow();
}

// Refresh when the countdown says the token has expired (the page knows exp, so no request
// has to fail first), then ask /api/me. apiFetch still refreshes on a 401 token_expired.
async function checkSession(why) {
  if (checking || Date.now() - lastCheck < 2000) return;
  checking = true;
  lastCheck = Date.now();
  try {
    const before = accessCountdown()?.dataset.end;
    if (shownTokenExpired()) {
      const refreshed = await refreshSession(readCookie("csrf_refresh_token"));
      if (!refreshed.ok) {
        if (sessionIsOver(refreshed.error)) location.assign(loginUrl(refreshed.error));
        else status.textContent = `Could not refresh the session just now (${refreshed.error}); trying again.`;
        return;
      }
    }
    const response = await apiFetch("/api/me");
    if (response.status === 401) {
      const body = await response.json().catch(() => ({}));
      location.assign(loginUrl(body.error || "token_missing"));
      return;
    }
    if (!response.ok) {
      status.textContent = `The server did not answer as expected (${response.status}); trying again.`;
      return;
    }
    const me = await response.json();
    if (String(me.token.exp) !== before) {
      // Count down to the new exp even if reloading the panel below fails.
      accessCountdown()?.setAttribute("data-end", String(me.token.exp));
      refreshes += 1;
      document.body.dataset.refreshes = String(refreshes);
      const what = why === "expired" ? "expired and was" : "was";
      showStatus(me.user.username,
        `The access token ${what} refreshed silently (${refreshes} so far).`);
      await reloadPanel();
    }
  } finally {
    checking = false;
  }
}

onSessionMessage((message) => {
  if (message.type === "refreshed") reloadPanel();
  if (message.type === "logged-out") location.assign(loginUrl("logged_out"));
});

document.querySelector("form[action$='/logout']")?.addEventListener("submit", announceLogout);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") checkSession("visible");
});

measureOffset();
showLocalTimes();
tick();
setInterval(tick, 500);
document.body.dataset.dashboardReady = "true";
