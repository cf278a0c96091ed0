"""A real headless browser: Playwright's Python package driving Debian's chromium (infra/system-deps.sh).

Screenshots are test output, kept under `tests/output/screenshots/` (not committed) for a person to look at.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[1] / "output" / "screenshots"


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture
def browser() -> Iterator[object]:
    """Chromium for one test. Not shared wider: Playwright's sync API keeps an event loop running in this
    thread while it is open, and every later `asyncio.run` (Prefect's client, httpx) would fail."""
    exe = _chromium()
    if exe is None:
        message = "Debian's chromium is not installed: run `make system-deps` (infra/system-deps.sh)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs it through `make test`; missing there is a broken set-up
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):  # noqa: ANN001, ANN201
    """A fresh 1280x800 page (the console's and the reports' target size), closed after the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    p = context.new_page()
    try:
        yield p
    finally:
        context.close()


@pytest.fixture
def screenshot():  # noqa: ANN201
    """`screenshot(page, "name")` saves a full-page PNG under tests/output/screenshots/ and returns its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(p, name: str) -> Path:  # noqa: ANN001
        path = SCREENSHOTS / f"{name}.png"
        p.screenshot(path=str(path), full_page=True)
        return path

    return take
