"""A gate run's Data Docs in a real browser, served as the console serves them (issue 14): Bootstrap, jQuery,
Font Awesome and GX's logo come from this machine, nothing is fetched from outside, and the page is drawn
as GX draws it. The screenshot is kept under tests/output/screenshots/datadocs-upload.png."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from flows.datadocs_web import router
from tests.conftest import make_services
from tests.integration.world import A, World, people

pytestmark = pytest.mark.e2e


@pytest.fixture
def gated(pg_engine, s3_store) -> tuple[World, int]:  # noqa: ANN001
    """A roster gated on PostgreSQL with its page in a real bucket: two good rows, one broken ID number."""
    w = World(make_services(pg_engine, s3_store))
    w.registries()
    w.file_class("A-1", sessions=0)
    rows = [w.roster_row("A-1", p, f"1380000{i:04d}") for i, p in enumerate([*people(2), "11010119900307001"])]
    out = w.upload(A, "roster", rows)
    assert out.status == "done"
    return w, out.upload_id


@pytest.fixture
def server(gated) -> Iterator[str]:  # noqa: ANN001
    """The router under uvicorn in a thread on a free loopback port; stopped after the test."""
    import uvicorn

    w, _ = gated
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(router(lambda: w.svc), host="127.0.0.1", port=port, log_level="warning",
                                        lifespan="off"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)


def test_the_data_docs_page_is_styled_by_bootstrap_from_this_machine(gated, server, page, screenshot) -> None:  # noqa: ANN001
    _, upload_id = gated
    outside, failed = [], []

    def only_here(route) -> None:  # noqa: ANN001
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:  # a government network reaches no CDN: any attempt is a failure of this page
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_here)
    page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.url} {r.status}"))
    page.goto(f"{server}/datadocs/upload/{upload_id}", wait_until="networkidle")

    assert outside == [] and failed == []
    assert page.title() == f"上传 {upload_id} 的数据文档（roster）· Data Docs of upload {upload_id} (roster)"
    style = page.evaluate("""() => {
        const css = (sel, prop) => getComputedStyle(document.querySelector(sel))[prop];
        return {navbar: css('nav.navbar', 'display'), row: css('.row', 'display'),
                button: css('.btn-primary:not(.active)', 'background-color'), card: css('.card', 'border-top-style'),
                icon: css('.fas', 'font-family'), logo: document.querySelector('.navbar-brand img').naturalWidth,
                jquery: typeof window.jQuery, modal: typeof (window.jQuery && jQuery.fn.modal)};
    }""")
    # Bootstrap 4: a flex navbar and grid, its blue primary button, bordered cards (browser defaults: block, grey)
    assert style["navbar"] == "flex" and style["row"] == "flex"
    assert style["button"] == "rgb(0, 123, 255)" and style["card"] == "solid"
    assert "Font Awesome" in style["icon"] and page.evaluate("document.fonts.check('900 16px \"Font Awesome 6 Free\"')")
    assert style["logo"] > 0, "GX's logo is broken"
    assert style["jquery"] == "function" and style["modal"] == "function"  # GX's filter buttons and modal work

    body = page.inner_text("body")
    assert f"upload-{upload_id}-roster" in body and "2026-11-26T02:00:00" in body and "__none__" not in body
    assert "newsletter" not in body.lower()
    screenshot(page, "datadocs-upload")

    # Bootstrap's collapse (its JS) opens GX's run info: the run is named after the upload, at its time
    page.get_by_text("Show more info...").click()
    run = page.locator("td", has_text="Run Name").locator("xpath=following-sibling::td[1]")
    run.wait_for(state="visible")
    assert run.inner_text() == f"upload-{upload_id}-roster"
    assert page.locator("td", has_text="Run Time").locator("xpath=following-sibling::td[1]").inner_text() \
        == "2026-11-26T02:00:00Z"

    # GX's "Failed Only" filter (jQuery) hides the expectations that passed and keeps the broken ID number's
    passed = page.locator(".hide-succeeded-validation-target-child")
    shown = passed.first.evaluate("e => e.parentElement.offsetParent !== null")
    page.get_by_text("Failed Only").click()
    page.wait_for_timeout(800)  # jQuery's fadeOut
    assert shown and not passed.first.evaluate("e => e.parentElement.offsetParent !== null")
    assert page.get_by_text("ENR-ID-INVALID").first.is_visible()
    screenshot(page, "datadocs-upload-failed-only")


def test_an_upload_without_data_docs_answers_404_in_both_languages(gated, server, page) -> None:  # noqa: ANN001
    response = page.goto(f"{server}/datadocs/upload/999999")
    assert response.status == 404
    text = page.inner_text("body")
    assert "上传 999999 没有数据文档" in text and "No Data Docs for upload 999999" in text
