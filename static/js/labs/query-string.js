// Live demo of the query-string lab: send the token the mode's way, follow a link to another
// site, and show where the token ended up.
const demo = document.getElementById("demo");
const state = document.getElementById("demo-state");
const leak = document.getElementById("demo-leak");
const loginButton = document.getElementById("demo-login");
const urlButton = document.getElementById("demo-url");
const capturesButton = document.getElementById("demo-captures");
const partnerLink = document.getElementById("demo-partner");
const partnerNote = document.getElementById("demo-partner-note");
const lists = {
  access_log: document.getElementById("capture-access-log"),
  history: document.getElementById("capture-history"),
  referers: document.getElementById("capture-referers"),
};
const base = demo.dataset.base;
const mode = demo.dataset.mode;
const JWT_SHAPE = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/;

// How the page sends the token, and the Referrer-Policy it gives itself.
// [broken-client]
const brokenClient = {
  // The browsers' default until 2020, still set by some sites:
  // links to other sites send this page's full address as Referer.
  referrerPolicy: "no-referrer-when-downgrade",
  loadProfile(token) {
    // A link cannot carry an Authorization header, so the token
    // goes in the page's address (as a redirect to /page?jwt=…
    // leaves it) and from there into the API's URL.
    const address = new URL(location.href);
    address.searchParams.set("jwt", token);
    history.pushState(null, "", address);
    return fetch(`${base}/profile?jwt=${token}`);
  },
};
// [/broken-client]

// [fixed-client]
const fixedClient = {
  // Keep the site's "same-origin": other sites get no Referer.
  referrerPolicy: null,
  loadProfile(token) {
    // The token stays in memory and travels in the header;
    // the page's address stays clean.
    const headers = { Authorization: `Bearer ${token}` };
    return fetch(`${base}/profile`, { headers });
  },
};
// [/fixed-client]

const client = mode === "fixed" ? fixedClient : brokenClient;
const pushed = []; // addresses this page put into the tab's history
let token = null;

if (client.referrerPolicy) {
  // A <meta name="referrer"> overrides the site's Referrer-Policy header for this page only.
  const meta = document.createElement("meta");
  meta.name = "referrer";
  meta.content = client.referrerPolicy;
  document.head.append(meta);
}

function shorten(text) {
  return text.replace(new RegExp(JWT_SHAPE, "g"), (t) => `${t.slice(0, 16)}…${t.slice(-6)}`);
}

// Another name for this same server is another origin to the browser: 127.0.0.1 and localhost.
function partnerOrigin() {
  const other = { "127.0.0.1": "localhost", localhost: "127.0.0.1" }[location.hostname];
  if (!other) return null;
  return `${location.protocol}//${other}${location.port ? `:${location.port}` : ""}`;
}

function showPartnerLink(visitor) {
  const origin = partnerOrigin();
  partnerLink.href = `${origin || location.origin}/labs/${demo.dataset.slug}/partner/${mode}/${visitor}`;
  partnerLink.hidden = false;
  partnerNote.textContent = origin
    ? `The partner site is at ${origin}: another origin to your browser (the same server under its other name).`
    : "This server has no second name here, so the partner page is on the same origin; a same-origin page receives the full address under the site's policy too.";
}

function showAnswer(status, body) {
  demo.dataset.lastStatus = String(status);
  demo.dataset.lastCode = body.error || "";
  state.dataset.state = status === 200 ? "logged-in" : "failed";
  state.textContent = status === 200
    ? `200: logged in as ${body.user}; the server found the token in the ${body.token_from}.`
    : `${status} ${body.error}: ${body.message}`;
}

async function answerOf(response) {
  return { status: response.status, body: await response.json().catch(() => ({})) };
}

function fill(list, lines) {
  list.replaceChildren(...lines.map((line) => {
    const item = document.createElement("li");
    item.textContent = shorten(line);
    item.dataset.token = String(JWT_SHAPE.test(line));
    return item;
  }));
  if (!lines.length) list.append(Object.assign(document.createElement("li"), { textContent: "(nothing)" }));
  list.dataset.leaked = String(lines.some((line) => JWT_SHAPE.test(line)));
}

async function showCaptures() {
  const { body } = await answerOf(await fetch(`${base}/captures`));
  const seen = {
    access_log: body.access_log || [],
    history: [...(body.history || []), ...pushed],
    referers: body.referers || [],
  };
  for (const [name, lines] of Object.entries(seen)) fill(lists[name], lines);
  const where = Object.keys(seen).filter((name) => lists[name].dataset.leaked === "true");
  demo.dataset.leaked = String(where.length > 0);
  leak.dataset.state = where.length ? "failed" : "done";
  leak.textContent = where.length
    ? `token_leaked: the token shows up in ${where.map((n) => n.replace("_", " ")).join(", ")}.`
    : "No token in the access log, the history or the Referers.";
}

async function logIn() {
  loginButton.disabled = true;
  const login = await (await fetch(`${base}/login`, { method: "POST" })).json();
  token = login.access_token;
  const { status, body } = await answerOf(await client.loadProfile(token));
  if (location.search.includes(token)) pushed.push(location.href);
  showAnswer(status, body);
  showPartnerLink(login.visitor);
  urlButton.disabled = false;
  loginButton.disabled = false;
  await showCaptures();
}

async function sendInUrl() {
  const { status, body } = await answerOf(await fetch(`${base}/profile?jwt=${token}`));
  showAnswer(status, body);
  await showCaptures();
}

loginButton.addEventListener("click", logIn);
urlButton.addEventListener("click", sendInUrl);
capturesButton.addEventListener("click", showCaptures);
// Coming back from the partner's tab: show what it received.
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") showCaptures();
});
