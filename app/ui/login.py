"""Login and session handling: the role of every caller, the throttled auth callback, the login page."""

from __future__ import annotations

import html
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
                f"Na {t.lock_after} mislukte pogingen is inloggen {minutes_text(t.lockout_s)} geblokkeerd. "
                "Reageert de knop Inloggen niet meer, herlaad dan de pagina om de wachttijd te zien.")
