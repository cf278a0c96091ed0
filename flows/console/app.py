"""The console's app factory: `create_app(services)` (a Starlette app, server-rendered Jinja2 templates).

A thin adapter over tasks/: reads through tasks/console_queries.py, decisions through tasks/review.py,
re-runs through tasks/rerun.py, uploads processed again through tasks/ingest.py.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flows.console import auditor, institutions, login, operator, viewer
from flows.console.sessions import Sessions, guarded, secret_key
from infra.bootstrap import Services
from tasks.console_queries import yuan
from tasks.console_users import User

HERE = Path(__file__).resolve().parent
ROLES = ("auditor", "operator", "viewer")
NAV = [  # (path, 中文, English, roles)
    ("/findings", "待审事项", "Findings", ("auditor",)),
    ("/rerun", "重新运行", "Re-run", ("auditor",)),
    ("/uploads", "上传", "Uploads", ("operator", "auditor")),
    ("/institutions", "机构", "Institutions", ("operator", "auditor")),
    ("/classes", "班级", "Classes", ROLES),
    ("/reports", "报告", "Reports", ROLES),
]
HOME = {"auditor": "/findings", "operator": "/uploads", "viewer": "/classes"}


class Console:
    """What every handler needs: the services, the session signer and the templates."""

    def __init__(self, svc: Services, sessions: Sessions) -> None:
        self.svc, self.sessions = svc, sessions
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.templates.env.filters["yuan"] = yuan

    def prefect_ui(self) -> str | None:
        return (self.svc.settings.stack_state() or {}).get("prefect_ui_url")

    def render(self, request: Request, name: str, context: dict, status: int = 200) -> Response:
        session = getattr(request.state, "session", None) or self.sessions.load(request)
        user: User | None = getattr(request.state, "user", None)
        flash = session.pop("flash", None)
        nav = [(p, zh, en) for p, zh, en, roles in NAV if user and user.role in roles]
        return self.templates.TemplateResponse(request, name, {
            "user": user, "csrf": session["c"], "nav": nav, "flash": flash, "path": request.url.path,
            "prefect_ui": self.prefect_ui(), **context}, status_code=status)

    def refuse(self, request: Request, session: dict, user: User | None, message: str, status: int = 403) -> Response:
        request.state.session, request.state.user = session, user
        return self.sessions.save(self.render(request, "error.html", {"message": message, "status": status}, status),
                                  session)


@guarded(ROLES)
def home(request: Request, user: User) -> Response:
    return RedirectResponse(HOME[user.role], status_code=303)


def create_app(svc: Services, *, secure_cookies: bool = False) -> Starlette:
    """The console over these services; the session key comes from the data dir (created there once)."""
    s = svc.settings
    console = Console(svc, Sessions(secret_key(s.console_secret_file), s.console_session_seconds, secure_cookies))
    routes = [
        Route("/", home),
        *login.routes(),
        *auditor.routes(),
        *operator.routes(),
        *viewer.routes(),
        *institutions.routes(),
        Mount("/static", app=StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    routes += _datadocs(svc)
    app = Starlette(routes=routes, middleware=[Middleware(PrivatePages)])
    app.state.console = console
    return app


class PrivatePages:
    """Every answer of the console is the department's: not cached, not framed, no referrer sent along."""

    HEADERS = [(b"cache-control", b"no-store"), (b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer"),
               (b"x-content-type-options", b"nosniff")]

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in self.HEADERS if k not in present]
            await send(message)

        await self.app(scope, receive, with_headers)


def _datadocs(svc: Services) -> list:
    """Each gate run's Data Docs page (issue 14; flows/datadocs_web.py, built on its own branch), served
    behind the console's login: mounted when that module is installed, absent otherwise."""
    try:
        from flows import datadocs_web
    except ImportError:
        return []
    return [Mount("", app=login.LoginRequired(datadocs_web.router(lambda: svc)))]
