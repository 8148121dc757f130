"""Login and session handling: the role of every caller, the throttled auth callback, the login page.

The login page is the app's own (:func:`render_login_page`, served by
:class:`app.web_guard.LoginPageMiddleware` at ``/`` to a caller without a session), not Gradio's:
Gradio's form clears the user name after a wrong password, says nothing on an empty submit or a
lockout (HTTP 429), and is 480 px wide at least. The form posts to Gradio's own ``/login``, so the
throttled :meth:`LoginMixin.auth` callback, its cookies and the same-origin check are unchanged.
"""

from __future__ import annotations

import html
import json
import math

import gradio as gr
from fastapi import HTTPException

from app.throttle import LoginLocked, current_client, lockout_message, log_user, minutes_text
from app.ui.layout import ROLE_LABELS, AccessDenied, logger


class LoginMixin:
    """Access checks and the login page of :class:`app.ui.app.TdaUI` (a mixin: uses ``users``,
    ``throttle`` and ``login_guard`` of the app)."""

    # -- access --------------------------------------------------------------------------------
    def role_for(self, request: gr.Request | None, allowed: tuple[str, ...]) -> tuple[str, str]:
        """Return ``(username, role)`` of the logged-in caller, or raise :class:`AccessDenied`."""
        username = getattr(request, "username", None) if request is not None else None
        role = self.users.role_of(username)
        if role is None:
            logger.warning("handler refused: no valid login user=%s", log_user(username))
            raise AccessDenied("Niet ingelogd of onbekende gebruiker. Log opnieuw in.", title="Geen toegang")
        if role not in allowed:
            logger.warning("handler refused user=%s role=%s allowed=%s", log_user(username), role, ",".join(allowed))
            raise AccessDenied(f"Uw rol ({ROLE_LABELS.get(role, role)}) heeft geen toegang tot deze functie.",
                               title="Geen toegang")
        return username, role

    async def auth(self, username: str, password: str) -> bool:
        """Gradio auth callback: a throttled check against the users file, off the event loop.

        The client address comes from :class:`app.throttle.ClientAddressMiddleware` (installed by
        :meth:`launch_kwargs`). During a lockout the login is refused with HTTP 429 and a Dutch
        message, without checking the password.
        """
        try:
            return await self.login_guard.login(username, password, current_client())
        except LoginLocked as exc:
            raise HTTPException(status_code=429, detail=lockout_message(exc.retry_after),
                                headers={"Retry-After": str(max(1, math.ceil(exc.retry_after)))}) from None

    def login_notice(self) -> str | None:
        """The lockout notice for the login page when the requesting client address is locked."""
        remaining = self.throttle.client_locked(current_client())
        if remaining <= 0:
            return None
        return f"<strong>{html.escape(lockout_message(remaining))}</strong>"

    def auth_message(self) -> str:
        """The login-page text (Dutch), with the throttle's limits."""
        t = self.throttle
        return ("Log in met uw tda-account. De rol hoort bij de login. "
                f"Na {t.lock_after} mislukte pogingen is inloggen {minutes_text(t.lockout_s)} geblokkeerd.")


# -- the login page ------------------------------------------------------------------------------
LOGIN_TEXTS = {
    "missing_user": "Vul uw gebruikersnaam in.",
    "missing_password": "Vul uw wachtwoord in.",
    "wrong": "Onjuiste inloggegevens. Controleer uw gebruikersnaam en wachtwoord.",
    "busy": "Bezig met inloggen…",
    "failed": "Inloggen lukt nu niet (fout {status}). Probeer het later opnieuw.",
    "offline": "Geen verbinding met de server. Controleer uw verbinding en probeer het opnieuw.",
}

_LOGIN_CSS = """
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 16px;
       line-height: 1.45; color: #1f2933; background: #f3f4f6; overflow-wrap: break-word; }
main { width: 100%; max-width: 28rem; margin: 0 auto; padding: 2rem 1rem; }
.card { background: #fff; border: 1px solid #e5e7eb; border-radius: 10px; padding: 1.5rem 1.25rem; }
h1 { font-size: 1.5rem; margin: 0 0 0.25rem; }
.app { margin: 0 0 1rem; color: #4b5563; }
.intro { margin: 0 0 1.25rem; color: #374151; font-size: 0.95rem; }
label { display: block; font-weight: 600; margin: 1rem 0 0.3rem; }
input { display: block; width: 100%; font: inherit; padding: 0.6rem 0.7rem; border: 1px solid #9ca3af;
        border-radius: 6px; background: #fff; }
input:focus { outline: 3px solid #93c5fd; outline-offset: 1px; border-color: #2563eb; }
input[aria-invalid="true"] { border-color: #b91c1c; }
.field-error { color: #b91c1c; margin: 0.3rem 0 0; font-size: 0.95rem; }
.field-error:empty { display: none; }
button { display: block; width: 100%; margin-top: 1.5rem; font: inherit; font-weight: 600; padding: 0.7rem;
         border: 0; border-radius: 6px; background: #ea580c; color: #fff; cursor: pointer; }
button:disabled { opacity: 0.7; cursor: wait; }
#tda-login-message { margin: 1rem 0 0; padding: 0.6rem 0.75rem; border-radius: 6px;
                     border-left: 5px solid #b91c1c; background: #fdecea; }
#tda-login-message:empty { display: none; }
#tda-login-message.busy { border-left-color: #6b7280; background: #f3f4f6; }
"""

_LOGIN_JS = r"""
(function () {
  var T = JSON.parse(document.getElementById("tda-login-config").textContent).texts;
  var KEY = "tda-login-user";
  var form = document.getElementById("tda-login");
  var user = document.getElementById("tda-username");
  var pass = document.getElementById("tda-password");
  var button = document.getElementById("tda-login-button");
  var message = document.getElementById("tda-login-message");
  function fieldError(input, text) {
    var el = document.getElementById(input.id + "-error");
    el.textContent = text || "";
    if (text) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
  }
  function say(text, busy) { message.textContent = text || ""; message.className = busy ? "busy" : ""; }
  try { if (!user.value) { user.value = sessionStorage.getItem(KEY) || ""; } } catch (e) {}
  (user.value ? pass : user).focus();
  user.addEventListener("input", function () { if (user.value.trim()) { fieldError(user, ""); } });
  pass.addEventListener("input", function () { if (pass.value) { fieldError(pass, ""); } });
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var name = user.value.trim();
    fieldError(user, name ? "" : T.missing_user);
    fieldError(pass, pass.value ? "" : T.missing_password);
    say("");
    if (!name || !pass.value) { (name ? pass : user).focus(); return; }
    try { sessionStorage.setItem(KEY, name); } catch (e) {}
    var data = new FormData();
    data.append("username", name);
    data.append("password", pass.value);
    button.disabled = true;
    say(T.busy, true);
    try {
      var response = await fetch(form.getAttribute("action"), {method: "POST", body: data,
                                                               credentials: "same-origin"});
      if (response.ok) { window.location.replace(window.location.href); return; }
      var detail = "";
      try { detail = (await response.json()).detail; } catch (e) {}
      pass.value = "";
      if (response.status === 400) { say(T.wrong); }
      else if (response.status === 429 && typeof detail === "string" && detail) { say(detail); }
      else { say(T.failed.replace("{status}", String(response.status))); }
      pass.focus();
    } catch (e) {
      say(T.offline);
    } finally {
      button.disabled = false;
    }
  });
})();
"""


def _script_json(value) -> str:
    """JSON that is safe inside a ``<script>`` element (no ``<``, ``>``, ``&`` as such)."""
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":"))
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def render_login_page(auth_message: str | None, nonce: str) -> str:
    """The login page (Dutch, usable at 390 px): user name and password, messages per field.

    Args:
        auth_message: The login-page text of the Blocks (trusted HTML made by the app: the lockout
            notice is escaped by :meth:`LoginMixin.login_notice`).
        nonce: The Content-Security-Policy nonce of this response (for the one style and script).

    A wrong password keeps the user name (the form is not reloaded; the name is also kept in
    ``sessionStorage`` for a reload), an empty field gets a message saying what is missing, and a
    lockout (HTTP 429) shows the server's Dutch message.
    """
    n = html.escape(nonce, quote=True)
    config = _script_json({"auth_required": True, "auth_message": auth_message or "", "texts": LOGIN_TEXTS})
    intro = f'<p class="intro" id="tda-login-intro">{auth_message}</p>' if auth_message else ""
    return f"""<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Inloggen — tda verzuimassistent</title>
<style nonce="{n}">{_LOGIN_CSS}</style>
</head>
<body>
<main>
<div class="card">
<h1>Inloggen</h1>
<p class="app">tda — assistent voor verzuimbegeleiding</p>
{intro}
<form id="tda-login" action="login" method="post" novalidate>
<label for="tda-username">Gebruikersnaam</label>
<input id="tda-username" name="username" type="text" autocomplete="username" autocapitalize="none"
       spellcheck="false" maxlength="64" aria-describedby="tda-username-error">
<p class="field-error" id="tda-username-error" aria-live="polite"></p>
<label for="tda-password">Wachtwoord</label>
<input id="tda-password" name="password" type="password" autocomplete="current-password" maxlength="1024"
       aria-describedby="tda-password-error">
<p class="field-error" id="tda-password-error" aria-live="polite"></p>
<button id="tda-login-button" type="submit">Inloggen</button>
<p id="tda-login-message" role="alert"></p>
</form>
<noscript><p>Zet JavaScript aan in uw browser om in te loggen.</p></noscript>
</div>
</main>
<script type="application/json" id="tda-login-config">{config}</script>
<script nonce="{n}">{_LOGIN_JS}</script>
</body>
</html>
"""
