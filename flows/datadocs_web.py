"""The Data Docs pages and their package-installed assets over HTTP; the console mounts this behind its login.

    GET /datadocs/upload/{upload_id}  the newest Data Docs page of an upload (404, bilingual, when none)
    GET /datadocs/static/{path}       Bootstrap, jQuery, Font Awesome and GX's logo from installed packages

Issue 14: "Data Docs that look like Data Docs" — served by the console, styled as GX draws them, with
nothing fetched from outside at run time. The static paths are where SKILLSUB_DATADOCS_STATIC_URL points.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route, Router

from infra.bootstrap import Services
from tasks import datadocs

_NOT_FOUND = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{zh} · {en}</title></head>
<body><h1>{zh}</h1><p lang="en">{en}</p></body></html>"""


def _not_found(zh: str, en: str) -> HTMLResponse:
    return HTMLResponse(_NOT_FOUND.format(zh=escape(zh), en=escape(en)), status_code=404)


def router(services_factory: Callable[[], Services]) -> Router:
    """Routes over the services the console uses (the same store and database as the CLI)."""

    def upload_page(request: Request) -> Response:
        upload_id = request.path_params["upload_id"]
        html = datadocs.page_html(services_factory(), upload_id)
        if html is None:
            return _not_found(f"上传 {upload_id} 没有数据文档（它未经过校验关卡，或页面尚未发布）",
                              f"No Data Docs for upload {upload_id} (it never reached a gate, or the page "
                              "was not published)")
        # personal data is masked on the page, but it is still the department's: not for shared caches
        return HTMLResponse(html, headers={"Cache-Control": "private, no-cache", "Referrer-Policy": "no-referrer"})

    def static_asset(request: Request) -> Response:
        found = datadocs.asset_file(request.path_params["path"])
        if found is None:
            return _not_found("没有这个静态文件", "No such static file")
        file, content_type = found
        return FileResponse(file, media_type=content_type,
                            headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"})

    return Router(routes=[
        Route("/datadocs/upload/{upload_id:int}", upload_page, methods=["GET"]),
        Route("/datadocs/static/{path:path}", static_asset, methods=["GET"]),
    ])
