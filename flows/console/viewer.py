"""Read-only pages for every role: classes (funnel, hours per trainee, holds, money, ledger) and the
published reports (tasks/console_reports.py), opened and downloaded through the console."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flows.console.sessions import guarded
from tasks import console_classes as qc
from tasks import console_reports as qr
from tasks.console_users import User

ALL = ("auditor", "operator", "viewer")


@guarded(ALL)
def classes(request: Request, user: User) -> Response:
    console = request.app.state.console
    return console.render(request, "classes.html", {"rows": qc.classes_list(console.svc)})


@guarded(ALL)
def class_page(request: Request, user: User) -> Response:
    console = request.app.state.console
    page = qc.class_page(console.svc, request.path_params["class_pk"])
    if page is None:
        return console.render(request, "error.html", {"message": "没有这个班级 / no such class", "status": 404}, 404)
    return console.render(request, "class.html", page)


@guarded(ALL)
def reports(request: Request, user: User) -> Response:
    """Published reports by period (latest version first, older ones superseded) and the special reports."""
    console = request.app.state.console
    try:
        found, error = qr.published(console.svc), None
    except Exception as exc:  # the store is down: say so on the page, the rest of the console works
        found, error = {"periods": [], "special": [], "other": []}, f"{type(exc).__name__}"
    return console.render(request, "reports.html", {**found, "error": error})


def _published_key(request: Request) -> str | None:
    key = "reports/" + request.path_params["key"]
    return key if qr.readable(key) else None


@guarded(ALL)
def report_view(request: Request, user: User) -> Response:
    """A published report's HTML inside the console (framed from this origin), with its other formats."""
    console = request.app.state.console
    key = _published_key(request)
    if key is None or not key.endswith(".html") or console.svc.store.head(key) is None:
        return console.render(request, "error.html", {"message": "没有这份报告 / no such report", "status": 404}, 404)
    stem = key.rsplit(".", 1)[0]
    others = [(o.key.rsplit(".", 1)[-1], o.key) for o in console.svc.store.list(stem + ".") if o.key != key]
    return console.render(request, "report.html", {"key": key, "others": sorted(others)})


@guarded(ALL)
def report_file(request: Request, user: User) -> Response:
    """One published object from the bucket: HTML shown (only framed by the console, its inline styles and
    base64 charts only), every other format downloaded."""
    console = request.app.state.console
    key = _published_key(request)
    if key is None or console.svc.store.head(key) is None:
        return console.render(request, "error.html", {"message": "没有这份报告 / no such report", "status": 404}, 404)
    name = key.removeprefix("reports/").replace("/", "_")
    headers = ({"x-frame-options": "SAMEORIGIN", "content-security-policy":
                "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'"}
               if key.endswith(".html") else {"content-disposition": f'attachment; filename="{name}"'})
    return Response(console.svc.store.get(key), media_type=qr.content_type(key), headers=headers)


def routes() -> list[Route]:
    return [Route("/classes", classes), Route("/classes/{class_pk:int}", class_page), Route("/reports", reports),
            Route("/reports/view/{key:path}", report_view), Route("/reports/file/{key:path}", report_file)]
