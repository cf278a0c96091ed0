"""Use case: find an upload's Data Docs page and the package-installed assets it loads (issue 14).

The console serves both (flows/datadocs_web.py); these are the lookups, with no web framework in them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sqlalchemy import select

from infra import db
from infra.bootstrap import Services

# Served by extension only: a package folder holds nothing else a page needs.
CONTENT_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".map": "application/json",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".eot": "application/vnd.ms-fontobject",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".gif": "image/gif",
    ".ico": "image/x-icon",
}


@dataclass(frozen=True)
class Page:
    upload_id: int  # the upload asked for
    key: str  # the page in the bucket: its gate run (an original's, for a duplicate)


def data_docs_key(day: str, upload_id: int, kind: str) -> str:
    """A gate run's page in the bucket, per upload it covered (tasks/outbox.py names it in the answer)."""
    return f"reports/{day}/datadocs/upload-{upload_id}-{kind}.html"


def page_path(upload_id: int) -> str:
    """Where the console serves an upload's Data Docs (what a finding links to)."""
    return f"/datadocs/upload/{int(upload_id)}"


def page_key(svc: Services, upload_id: int) -> Page | None:
    """The newest Data Docs page of the upload: its gate run's, under the date it was last processed (a
    run again on a later day publishes under that day). A duplicate shows its original's run, as its answer
    names it (tasks/outbox.py); None when the upload never reached a gate or the page is missing."""
    u = db.uploads
    with svc.engine.connect() as conn:
        up = conn.execute(select(u.c.id, u.c.duplicate_of).where(u.c.id == upload_id)).first()
        if up is None:
            return None
        src = conn.execute(select(u.c.id, u.c.kind, u.c.processed_at, u.c.gate_checks)
                           .where(u.c.id == (up.duplicate_of or up.id))).first()
    if src is None or not src.gate_checks or src.processed_at is None:
        return None
    key = data_docs_key(src.processed_at.date().isoformat(), src.id, src.kind)
    return Page(upload_id, key) if svc.store.head(key) is not None else None


def page_html(svc: Services, upload_id: int) -> bytes | None:
    page = page_key(svc, upload_id)
    return None if page is None else svc.store.get(page.key)


def asset_file(path: str) -> tuple[Path, str] | None:
    """The installed file a page asks for under the static base, and its content type; None for anything
    outside the package folders (no `..`, no absolute path, no symlink out) or of a kind not served."""
    from expectations.datadocs import static_roots

    parts = PurePosixPath(path).parts
    if len(parts) < 2 or any(p in ("", ".", "..") or "\\" in p or "\x00" in p for p in parts):
        return None
    root = static_roots().get(parts[0])
    content_type = CONTENT_TYPES.get(PurePosixPath(path).suffix.lower())
    if root is None or content_type is None:
        return None
    root = root.resolve()
    file = root.joinpath(*parts[1:]).resolve()
    if not file.is_relative_to(root) or not file.is_file():
        return None
    return file, content_type
