// Live demo of the clock-skew lab: move the verifier's clock, log in, call the API, and draw
// the token's window, both clocks and the leeway on the timeline.
const demo = document.getElementById("demo");
const base = demo.dataset.base;
const fixedMode = demo.dataset.mode === "fixed";
const lifetime = Number(demo.dataset.lifetime);
const leeway = Number(demo.dataset.leeway);
const slider = document.getElementById("skew");
const sliderValue = document.getElementById("skew-value");
const state = document.getElementById("demo-state");
const issuerMark = document.getElementById("tl-issuer");
const verifierMark = document.getElementById("tl-verifier");
const verdictText = document.getElementById("timeline-verdict");
const report = document.getElementById("skew-report");
const SKEW_HEADER = "X-Lab-Verifier-Skew";
const CLIENT_TIME_HEADER = "X-Lab-Client-Time";

let loggedInAt = null; // this browser's Date.now() when the issuer answered the login

const VERDICTS = {
  accepted: "Where the verifier's clock stands, it accepts the token.",
  "not-yet-valid": "The verifier's clock is before iat minus the leeway: it answers token_not_yet_valid.",
  expired: "The verifier's clock is past exp plus the leeway: it answers token_expired.",
};

function skew() {
  return Number(slider.value);
}

function describeSkew(seconds) {
  if (seconds === 0) return "in sync (0 s)";
  return `${Math.abs(seconds)} s ${seconds > 0 ? "ahead" : "behind"}`;
}

function x(seconds) {
  // The same scale as the server-rendered picture: 2.5 units a second, login at 400.
  return Math.min(Math.max(400 + seconds * 2.5, 25), 775);
}

function verdictAt(verifierSeconds) {
  if (verifierSeconds < -leeway) return "not-yet-valid";
  if (verifierSeconds >= lifetime + leeway) return "expired";
  return "accepted";
}

function draw() {
  const sinceLogin = loggedInAt === null ? 0 : (Date.now() - loggedInAt) / 1000;
  const verifierSeconds = sinceLogin + skew();
  const verdict = verdictAt(verifierSeconds);
  issuerMark.setAttribute("transform", `translate(${x(sinceLogin)} 0)`);
  verifierMark.setAttribute("transform", `translate(${x(verifierSeconds)} 0)`);
  verifierMark.dataset.verdict = verdict;
  verdictText.dataset.verdict = verdict;
  verdictText.textContent = VERDICTS[verdict];
  sliderValue.textContent = describeSkew(skew());
  sliderValue.dataset.skew = String(skew());
  slider.setAttribute("aria-valuetext", `verifier clock ${describeSkew(skew())}`);
}

function setState(name, text) {
  state.dataset.state = name;
  state.textContent = text;
}

async function call(method, endpoint, headers = {}) {
  const response = await fetch(`${base}/${endpoint}`, { method, headers, credentials: "same-origin" });
  const body = await response.json().catch(() => ({}));
  return { status: response.status, body };
}

function showResult(result) {
  if (result.status === 200) {
    setState("ok", `200 OK: the verifier (clock ${describeSkew(skew())}) accepted the token.`);
    return;
  }
  const detail = result.body.detail ? ` (${result.body.detail})` : "";
  setState("failed", `${result.status} ${result.body.error}: ${result.body.message}${detail}`);
}

// What the page does with the API's answer, in each mode.
// [broken-client]
async function afterCallBroken(result) {
  showResult(result); // the error is all anyone gets: nothing compares the clocks
}
// [/broken-client]

// [fixed-client]
async function afterCallFixed(result) {
  showResult(result);
  // Let the server compare three clocks: this browser's, the issuer's and the verifier's.
  const clocks = await call("GET", "clocks", {
    [SKEW_HEADER]: String(skew()),
    [CLIENT_TIME_HEADER]: String(Date.now() / 1000),
  });
  report.dataset.off = clocks.body.off?.join(" ") || "none";
  report.textContent = `Skew detector: ${clocks.body.report ?? clocks.body.message}`;
}
// [/fixed-client]

async function logIn() {
  const result = await call("POST", "login");
  if (result.status !== 200) {
    setState("failed", `Log in failed: ${result.status} ${result.body.error || ""}`);
    return;
  }
  loggedInAt = Date.now();
  draw();
  setState("logged-in", `Logged in: the token is valid for ${lifetime} s by the issuer's clock. Now call the API.`);
}

async function callApi() {
  const result = await call("GET", "me", { [SKEW_HEADER]: String(skew()) });
  draw();
  await (fixedMode ? afterCallFixed : afterCallBroken)(result);
}

setInterval(draw, 1000); // the issuer's marker moves on as the token ages
slider.addEventListener("input", draw);
document.getElementById("demo-login").addEventListener("click", logIn);
document.getElementById("demo-call").addEventListener("click", callApi);
draw();
