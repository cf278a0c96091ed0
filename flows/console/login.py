"""Log in and out (throttled, CSRF-checked); `LoginRequired` guards mounted apps (Data Docs)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from flows.console.sessions import csrf_ok
from tasks.console_users import Throttled, active_user
from tasks.console_users import login as check_login


async def login_page(request: Request) -> Response:
    console = request.app.state.console
    session = console.sessions.load(request)
    request.state.session, request.state.user = session, None
    return console.sessions.save(console.render(request, "login.html", {"error": None}), session)


async def login_post(request: Request) -> Response:
    console = request.app.state.console
    session = console.sessions.load(request)
    request.state.session, request.state.user = session, None
    form = await request.form()
    if not csrf_ok(session, form.get("csrf")):
        return console.refuse(request, session, None, "CSRF 令牌无效，请刷新登录页 / the form expired: reload the login page")
    client = request.client.host if request.client else "unknown"
    try:
        user = check_login(console.svc, str(form.get("name", "")), str(form.get("password", "")), client)
    except Throttled:
        page = console.render(request, "login.html", {
            "error": "登录失败次数过多，请稍后再试 / too many failed logins: try again later"}, status=429)
        return console.sessions.save(page, session)
    if user is None:
        page = console.render(request, "login.html", {"error": "用户名或密码错误 / wrong name or password"}, status=401)
        return console.sessions.save(page, session)
    import secrets

    from tasks.console_queries import audit_entry

    audit_entry(console.svc, user.name, "console.login", f"user:{user.name}", {"role": user.role})
    fresh = {"u": user.name, "c": secrets.token_urlsafe(32)}  # a new token at login: no fixation
    return console.sessions.save(RedirectResponse("/", status_code=303), fresh)


async def logout(request: Request) -> Response:
    console = request.app.state.console
    session = console.sessions.load(request)
    form = await request.form()
    if not csrf_ok(session, form.get("csrf")):
        return console.refuse(request, session, None, "CSRF 令牌无效 / the form's CSRF token is missing or wrong")
    import secrets

    return console.sessions.save(RedirectResponse("/login", status_code=303), {"u": None, "c": secrets.token_urlsafe(32)})


class LoginRequired:
    """An ASGI app that passes only requests of a logged-in, active user (any role) to the app it wraps."""

    def __init__(self, app) -> None:  # noqa: ANN001
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope, receive)
            console = request.app.state.console
            session = console.sessions.load(request)
            if not (session.get("u") and active_user(console.svc, session["u"])):
                await RedirectResponse("/login", status_code=303)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def routes() -> list[Route]:
    return [Route("/login", login_page, methods=["GET"]), Route("/login", login_post, methods=["POST"]),
            Route("/logout", logout, methods=["POST"])]
