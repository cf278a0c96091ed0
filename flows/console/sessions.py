"""Sessions and CSRF for the console (issue 14, "Who may do what").

A session is a cookie signed with itsdangerous (HttpOnly, SameSite=Strict, expiring after
SKILLSUB_CONSOLE_SESSION_SECONDS) holding the user's name and a CSRF token bound to it; the user is
re-read from the database on every request, so a disabled user is out at once. Every POST must carry
the token (form field `csrf` or header X-CSRF-Token). The signing key is a file under the data dir,
generated on first use with mode 0600.
"""

from __future__ import annotations

import functools
import hmac
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tasks.console_users import User, active_user

COOKIE = "skillsub_console"


def secret_key(path: Path) -> bytes:
    """The key signing session cookies: read, or created once with mode 0600 (never in the repository)."""
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it meanwhile
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as out:
        out.write(secrets.token_urlsafe(48).encode())
    return path.read_bytes().strip()


class Sessions:
    def __init__(self, key: bytes, max_age: int, secure: bool = False) -> None:
        self.signer = URLSafeTimedSerializer(key, salt="skillsub-console-session")
        self.max_age, self.secure = max_age, secure

    def load(self, request: Request) -> dict:
        raw = request.cookies.get(COOKIE)
        if raw:
            try:
                data = self.signer.loads(raw, max_age=self.max_age)
                if isinstance(data, dict) and isinstance(data.get("c"), str):
                    return data
            except BadSignature:  # forged, or expired (SignatureExpired is a BadSignature)
                pass
        return {"u": None, "c": secrets.token_urlsafe(32), "new": True}

    def save(self, response: Response, session: dict) -> Response:
        data = {k: v for k, v in session.items() if k in ("u", "c", "flash")}
        response.set_cookie(COOKIE, self.signer.dumps(data), max_age=self.max_age, httponly=True, samesite="strict",
                            secure=self.secure, path="/")
        return response


def csrf_ok(session: dict, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session["c"], str(sent))


Handler = Callable[..., Response]  # plain def: it runs in a worker thread (database work, settlements, re-runs)


def guarded(roles: tuple[str, ...], *, post: bool = False) -> Callable[[Handler], Handler]:
    """Login, role and (for a POST) CSRF checked on the server before the handler runs; refused with
    a redirect to the login page (no session), or 403 (wrong role, missing or wrong CSRF token)."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            console = request.app.state.console
            session = console.sessions.load(request)
            user = active_user(console.svc, session["u"]) if session.get("u") else None
            form: Any = None
            if post:
                form = await request.form()
                if not csrf_ok(session, form.get("csrf") or request.headers.get("x-csrf-token")):
                    return console.refuse(request, session, user, "CSRF 令牌无效 / the form's CSRF token is missing or wrong")
            if user is None:
                if post:
                    return console.refuse(request, session, None, "请先登录 / log in first")
                return console.sessions.save(RedirectResponse("/login", status_code=303), session)
            if user.role not in roles:
                return console.refuse(request, session, user,
                                      f"角色 {user.role} 无权执行此操作 / the {user.role} role may not do this")
            request.state.session, request.state.user = session, user
            # in Starlette's thread pool: a re-run or a settlement preview must not stall every other user's page
            response = await run_in_threadpool(handler, request, user, form) if post else \
                await run_in_threadpool(handler, request, user)
            return console.sessions.save(response, session)

        return endpoint

    return wrap


__all__ = ["User", "Sessions", "guarded", "secret_key", "csrf_ok"]
