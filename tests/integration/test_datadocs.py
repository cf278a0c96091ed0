"""Data Docs of a real gate run (issue 14): published under the key the answer names, the run named after its
upload and processing time, found again by upload and served with its package-installed assets."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from expectations import datadocs as rendering
from flows.datadocs_web import router
from infra.samples import csv_bytes
from tasks import datadocs
from tasks.ingest import process_batch
from tests.integration.world import A, B, World, people


@pytest.fixture
def w(svc) -> World:  # noqa: ANN001
    world = World(svc)
    world.registries()
    world.file_class("A-1", sessions=0)
    return world


def _roster(w: World, ids: list[str], uscc: str = A, class_id: str = "A-1"):  # noqa: ANN202
    return w.upload(uscc, "roster", [w.roster_row(class_id, p, f"1380000{i:04d}") for i, p in enumerate(ids)])


def test_a_gated_upload_publishes_a_page_that_names_its_upload_and_time(w: World) -> None:
    trainees = people(2)
    out = _roster(w, [*trainees, "11010119900307001"])  # one ID number is a digit short: ENR-ID-INVALID
    _, summary = w.outbox(out)
    html = w.svc.store.get(summary["data_docs"]).decode("utf-8")
    assert summary["data_docs"] == f"reports/2026-11-26/datadocs/upload-{out.upload_id}-roster.html"
    assert f"<title>上传 {out.upload_id} 的数据文档（roster）· Data Docs of upload {out.upload_id} (roster)</title>" in html
    assert re.search(rf"Run Name</div></td><td[^>]*><div[^>]*>upload-{out.upload_id}-roster<", html)
    assert "2026-11-26T02:00:00Z" in html  # processed at 10:00 in Shanghai (the fixed clock)
    assert "__none__" not in html and "ENR-ID-INVALID" in html
    assert 'href="/datadocs/static/bootstrap/css/bootstrap.min.css"' in html
    for person in trainees:
        assert person not in html
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", html), "a mobile number in clear"
    assert datadocs.page_key(w.svc, out.upload_id) == datadocs.Page(out.upload_id, summary["data_docs"])


def test_a_duplicate_shows_its_originals_run_and_an_upload_without_a_gate_run_has_none(w: World) -> None:
    rows = [list(w.roster_row("A-1", p, f"1380000{i:04d}").values()) for i, p in enumerate(people(2))]
    data = csv_bytes(list(w.roster_row("A-1", "")), rows)
    first = w.put_bytes(f"inbox/{A}/roster/first.csv", data)
    again = w.put_bytes(f"inbox/{A}/roster/again.csv", data)
    assert again.status == "duplicate"
    assert datadocs.page_key(w.svc, again.upload_id).key.endswith(f"/upload-{first.upload_id}-roster.html")
    junk = w.put_bytes(f"inbox/{A}/roster/junk.csv", bytes(range(256)) * 4)
    assert junk.status == "quarantined" and datadocs.page_key(w.svc, junk.upload_id) is None
    assert datadocs.page_key(w.svc, 10_000) is None


def test_a_batch_is_rendered_once_and_every_upload_s_page_names_the_batch(w: World, monkeypatch) -> None:  # noqa: ANN001
    w.file_class("B-1", B, sessions=0)
    renders = []
    real = rendering.offline_html
    monkeypatch.setattr(rendering, "offline_html", lambda *a, **k: renders.append(1) or real(*a, **k))
    keys = []
    for n, (uscc, cid, ids) in enumerate(((A, "A-1", people(2)), (B, "B-1", people(2, offset=200)))):
        key = f"inbox/{uscc}/roster/burst-{n}.csv"
        rows = [list(w.roster_row(cid, p, f"1370000{n}{i:03d}").values()) for i, p in enumerate(ids)]
        w.svc.store.put(key, csv_bytes(list(w.roster_row(cid, "")), rows))
        keys.append(key)
    first, second = process_batch(w.svc, keys, "test-run")
    assert len(renders) == 1  # one gate run over both rosters: one page, kept under each upload
    for out in (first, second):
        html = w.svc.store.get(datadocs.page_key(w.svc, out.upload_id).key).decode("utf-8")
        assert f">upload-{first.upload_id}-{second.upload_id}-roster<" in html
        assert f"Data Docs of upload {out.upload_id} (roster)" in html


def _get(app, *paths: str) -> list[httpx.Response]:  # noqa: ANN001
    async def fetch() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://console") as client:
            return [await client.get(p) for p in paths]

    return asyncio.run(fetch())


def test_the_router_serves_the_page_its_assets_and_a_bilingual_404(w: World) -> None:
    out = _roster(w, people(1))
    assets = (("bootstrap/css/bootstrap.min.css", "text/css"), ("bootstrap/js/bootstrap.bundle.min.js", "text/javascript"),
              ("jquery/jquery.min.js", "text/javascript"), ("font-awesome/webfonts/fa-solid-900.woff2", "font/woff2"),
              ("gx/images/logo-long.png", "image/png"))
    page, missing, *served = _get(router(lambda: w.svc), f"/datadocs/upload/{out.upload_id}", "/datadocs/upload/999999",
                                  *(f"/datadocs/static/{p}" for p, _ in assets),
                                  "/datadocs/static/gx/%2e%2e/%2e%2e/__init__.py", "/datadocs/static/gx/..%2f..%2f__init__.py")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f"upload-{out.upload_id}-roster" in page.text
    assert missing.status_code == 404 and "没有数据文档" in missing.text and "No Data Docs for upload 999999" in missing.text
    for (path, content_type), asset in zip(assets, served[:len(assets)], strict=True):
        assert asset.status_code == 200 and asset.headers["content-type"].startswith(content_type), path
        assert asset.content
    assert [r.status_code for r in served[len(assets):]] == [404, 404]  # no way out of the package folders
