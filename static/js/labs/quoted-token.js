// Live demo of the quoted-token lab: store the token the mode's way, send it, show the answer.
const demo = document.getElementById("demo");
const state = document.getElementById("demo-state");
const stored = document.getElementById("demo-stored");
const loginButton = document.getElementById("demo-login");
const variantSelect = document.getElementById("demo-variant");
const sendButton = document.getElementById("demo-send");
const answers = document.querySelector("#demo-answers tbody");
const base = demo.dataset.base;
const fixedMode = demo.dataset.mode === "fixed";
const STORAGE_KEY = "jwt-clinic-lab-quoted-token";
const LONG_PART = /[A-Za-z0-9_.-]{24,}/g; // a token, or a long piece of one

// How the page stores the token after login, and reads it back for every request.
// [broken-client]
const brokenClient = {
  store(token) {
    // JSON.stringify wraps the string in quotes: "eyJ…"
    localStorage.setItem(STORAGE_KEY, JSON.stringify(token));
  },
  authorization() {
    // Read back without JSON.parse, so the quotes stay.
    return `Bearer ${localStorage.getItem(STORAGE_KEY)}`;
  },
};
// [/broken-client]

// [fixed-client]
const fixedClient = {
  store(token) {
    // A token is already a string: store it as it is.
    localStorage.setItem(STORAGE_KEY, token);
  },
  authorization() {
    const token = localStorage.getItem(STORAGE_KEY);
    // No token yet: send no header, never "Bearer null".
    return token ? `Bearer ${token}` : null;
  },
};
// [/fixed-client]

const client = fixedMode ? fixedClient : brokenClient;

// The damaged headers the select offers, built from the token the login returned.
const VARIANTS = {
  stringified: (token) => `Bearer ${JSON.stringify(token)}`,
  raw: (token) => `Bearer ${token}`,
  "no-bearer": (token) => token,
  "double-bearer": (token) => `Bearer Bearer ${token}`,
  "lower-case": (token) => `bearer ${token}`,
  undefined: () => `Bearer ${undefined}`,
  null: () => `Bearer ${null}`,
  space: (token) => `Bearer ${token.replace(".", ". ")}`,
};

let issued = null; // the token exactly as the login returned it

function shorten(text) {
  return text.replace(LONG_PART, (part) => `${part.slice(0, 12)}…${part.slice(-6)}`);
}

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

function show(header, status, body) {
  const row = document.createElement("tr");
  row.dataset.status = String(status);
  row.dataset.code = body.error || "";
  const sent = document.createElement("code");
  sent.textContent = header === null ? "(no header)" : shorten(header);
  const first = document.createElement("td");
  first.append(sent);
  row.append(first, cell(String(status)), cell(body.error || "-"), cell(body.detail || "-"),
    cell(status === 200 ? `logged in as ${body.user}` : body.message || "-"));
  answers.prepend(row);
  state.dataset.state = status === 200 ? "logged-in" : "failed";
  state.textContent = status === 200
    ? `200: the server accepted the token (logged in as ${body.user}).`
    : `${status} ${body.error}: ${body.message}`;
  demo.dataset.lastStatus = String(status);
  demo.dataset.lastCode = body.error || "";
}

async function send(header) {
  const headers = header === null ? {} : { Authorization: header };
  const response = await fetch(`${base}/me`, { headers, credentials: "same-origin" });
  const body = await response.json().catch(() => ({}));
  show(header, response.status, body);
}

async function logIn() {
  loginButton.disabled = true;
  const response = await fetch(`${base}/login`, { method: "POST", credentials: "same-origin" });
  issued = (await response.json()).access_token;
  client.store(issued);
  const kept = localStorage.getItem(STORAGE_KEY);
  stored.textContent = shorten(kept);
  stored.dataset.quoted = String(kept.startsWith('"'));
  await send(client.authorization());
  loginButton.disabled = false;
  variantSelect.disabled = false;
  sendButton.disabled = false;
}

loginButton.addEventListener("click", logIn);
sendButton.addEventListener("click", () => send(VARIANTS[variantSelect.value](issued)));
