// The dashboard: live countdowns, silent refresh when the access token runs out,
// and the server-rendered panel reloaded after every refresh (in this tab or another).
import {
  announceLogout, apiFetch, loginUrl, onSessionMessage, readCookie, refreshSession,
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
    tick();
  }
}

// Ask /api/me; apiFetch refreshes silently if the access token has expired.
async function checkSession(why) {
  if (checking || Date.now() - lastCheck < 2000) return;
  checking = true;
  lastCheck = Date.now();
  try {
    const before = panel.querySelector(".countdown[data-kind=access]")?.dataset.end;
    let response = await apiFetch("/api/me");
    if (response.ok && why === "expired") {
      const me = await response.clone().json();
      // Still accepted thanks to the server's leeway: refresh now rather than poll.
      if (String(me.token.exp) === before && (await refreshSession(readCookie("csrf_refresh_token"))).ok) {
        response = await apiFetch("/api/me");
      }
    }
    if (response.status === 401) {
      const body = await response.json().catch(() => ({}));
      location.assign(loginUrl(body.error || "token_missing"));
      return;
    }
    if (!response.ok) return;
    const me = await response.json();
    if (String(me.token.exp) !== before) {
      refreshes += 1;
      document.body.dataset.refreshes = String(refreshes);
      status.textContent = `Signed in as ${me.user.username}. The access token ${why === "expired" ? "expired and was" : "was"} refreshed silently (${refreshes} so far).`;
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
tick();
setInterval(tick, 500);
document.body.dataset.dashboardReady = "true";
