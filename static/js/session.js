// Silent refresh for the site's cookie session, shared by every page.
//
// The tokens live in HttpOnly cookies, so scripts never see them. Scripts only read the two
// CSRF cookies, which exist to be copied into the X-CSRF-TOKEN header.
//
// When a request answers 401 token_expired, apiFetch refreshes once and retries the request
// once. Only one refresh runs at a time across every tab of this site (Web Locks), and a tab
// that waited for the lock first checks whether another tab already refreshed.

const LOCK_NAME = "jwt-clinic-refresh";
const REFRESH_URL = "/api/auth/refresh";
const REFRESH_TIMEOUT_MS = 10_000; // a hung refresh must not hold every tab's lock for ever

// Answers that mean the session is over. Anything else (offline, a 5xx, a 429) is passing
// trouble: the session may well be alive, so it is no reason to show the login form.
const SESSION_OVER = new Set([
  "token_missing", "token_expired", "token_revoked", "refresh_reused", "invalid_signature",
  "token_malformed", "invalid_claims", "wrong_token_type", "csrf_failed",
]);

export function sessionIsOver(error) {
  return SESSION_OVER.has(error);
}
const channel = "BroadcastChannel" in self ? new BroadcastChannel("jwt-clinic-session") : null;

export function readCookie(name) {
  const prefix = `${name}=`;
  for (const part of document.cookie.split("; ")) {
    if (part.startsWith(prefix)) return decodeURIComponent(part.slice(prefix.length));
  }
  return null;
}

// Listen for "refreshed" and "logged-out" messages from other tabs.
export function onSessionMessage(handler) {
  channel?.addEventListener("message", (event) => handler(event.data));
}

let refreshInFlight = null;

// Refresh the session unless another tab did it since `seenRefreshCsrf` was read.
export function refreshSession(seenRefreshCsrf = readCookie("csrf_refresh_token")) {
  if (!refreshInFlight) {
    refreshInFlight = withRefreshLock(() => refreshUnlessDone(seenRefreshCsrf)).finally(() => {
      refreshInFlight = null;
    });
  }
  return refreshInFlight;
}

function withRefreshLock(work) {
  return navigator.locks ? navigator.locks.request(LOCK_NAME, work) : work();
}

async function refreshUnlessDone(seenRefreshCsrf) {
  const current = readCookie("csrf_refresh_token");
  if (!current) return { ok: false, error: "token_missing" };
  if (seenRefreshCsrf && current !== seenRefreshCsrf) {
    return { ok: true, sharedWithAnotherTab: true }; // its new cookies are ours too
  }
  let response;
  try {
    response = await fetch(REFRESH_URL, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-TOKEN": current },
      body: "{}",
      signal: AbortSignal.timeout(REFRESH_TIMEOUT_MS),
    });
  } catch (error) {
    return { ok: false, error: "network_error" };
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) return { ok: false, error: body.error || `http_${response.status}`, body };
  channel?.postMessage({ type: "refreshed", body });
  return { ok: true, body };
}

function withCsrf(options) {
  const method = (options.method || "GET").toUpperCase();
  const headers = new Headers(options.headers || {});
  if (!["GET", "HEAD", "OPTIONS"].includes(method)) {
    headers.set("X-CSRF-TOKEN", readCookie("csrf_access_token") || "");
  }
  return { credentials: "same-origin", ...options, headers };
}

export function loginUrl(reason) {
  const params = new URLSearchParams({ reason, next: location.pathname + location.search });
  return `/login?${params}`;
}

// fetch() for the site's API: refresh once on token_expired, retry once. Only a refresh that
// says the session is over sends the user to log in; passing trouble answers 503 instead.
// [api-fetch]
export async function apiFetch(url, options = {}) {
  const seenRefreshCsrf = readCookie("csrf_refresh_token");
  const response = await fetch(url, withCsrf(options));
  if (response.status !== 401) return response;
  const body = await response.clone().json().catch(() => ({}));
  if (body.error !== "token_expired" && body.error !== "token_missing") return response;
  const refreshed = await refreshSession(seenRefreshCsrf);
  if (refreshed.ok) return fetch(url, withCsrf(options));
  if (sessionIsOver(refreshed.error)) {
    location.assign(loginUrl(refreshed.error));
    return response;
  }
  return Response.json({ error: refreshed.error, message: "The session could not be "
    + "refreshed just now; it will be tried again." }, { status: 503 });
}
// [/api-fetch]

export function announceLogout() {
  channel?.postMessage({ type: "logged-out" });
}
