// The page shown when an access token expired while the refresh token lives:
// refresh silently, then go back to where the visitor was going.
import { refreshSession } from "./session.js";

const box = document.getElementById("resume");
const result = await refreshSession(null);
if (result.ok) {
  location.replace(box.dataset.next);
} else {
  const login = new URL(box.dataset.login, location.href);
  login.searchParams.set("reason", result.error);
  location.replace(login);
}
