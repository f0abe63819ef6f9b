// The page shown when an access token expired while the refresh token lives:
// refresh silently, then go back to where the visitor was going. Only an answer that says the
// session is over leads to the login form; passing trouble is retried.
import { refreshSession, sessionIsOver } from "./session.js";

const box = document.getElementById("resume");
const note = box.querySelector("p");

async function resume(attempt) {
  const result = await refreshSession(null);
  if (result.ok) {
    location.replace(box.dataset.next);
  } else if (sessionIsOver(result.error) || attempt >= 5) {
    const login = new URL(box.dataset.login, location.href);
    login.searchParams.set("reason", result.error);
    location.replace(login);
  } else {
    note.textContent = `The server could not be reached (${result.error}); trying again…`;
    setTimeout(() => resume(attempt + 1), 2000 * attempt);
  }
}

resume(1);
