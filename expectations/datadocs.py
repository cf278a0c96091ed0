"""Great Expectations Data Docs for one gate run: styled as GX draws them, offline, and with no personal data.

Issue 14 ("Data Docs that look like Data Docs"). GX's page templates pull Bootstrap, jQuery, Popper and
Font Awesome from public CDNs, its logo from a public bucket, and end in a newsletter banner. Government
networks reach none of those, and nothing is fetched at run time: every CDN URL GX uses is rewritten to a
package-installed copy served under a base URL (`SKILLSUB_DATADOCS_STATIC_URL`, by
`flows/datadocs_web.py`), and whatever has no local copy is removed (`UNAVAILABLE` says what and why).
The validation runs with BOOLEAN_ONLY, so no failing values reach the page; ID numbers and mobile
numbers are masked again as a second line.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from infra.logmask import mask_text

# A served path's first segment names the package whose files it serves (see static_roots()).
# GX's CDN URL (matched on its path, whatever the version GX names) -> the local copy, relative to the base.
LOCAL_ASSETS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"/css/bootstrap(\.min)?\.css$"), "bootstrap/css/bootstrap.min.css"),  # XStatic-Bootstrap 4.5
    # The bundle carries Popper, which GX loads from a CDN of its own (removed below).
    (re.compile(r"/js/bootstrap(\.min)?\.js$"), "bootstrap/js/bootstrap.bundle.min.js"),
    (re.compile(r"/jquery-3[0-9.]*(\.min)?\.js$"), "jquery/jquery.min.js"),  # XStatic-jQuery 3.7.1
    (re.compile(r"/font-awesome/[0-9.]+/css/all(\.min)?\.css$"), "font-awesome/css/all.min.css"),  # XStatic-Font-Awesome 6
    (re.compile(r"/logo-long\.png$"), "gx/images/logo-long.png"),  # GX's own wheel
)
# Remote assets GX names that no installed package ships (by a name in their URL); a validation-results
# page uses none of them. A new one in a GX upgrade fails tests/unit/test_datadocs.py until it is placed.
UNAVAILABLE = {
    "popper.js": "bundled in Bootstrap's bootstrap.bundle.min.js",
    "bootstrap-table": "tables of profiling and index pages (and its filter-control extension)",
    "bootstrap-datepicker": "the index page's date filter",
    "bootstrap-prefers-dark": "dark mode: the page is drawn light (GX's dark overrides are dropped with it)",
    "vega": "charts of profiling results (vega, vega-lite, vega-embed); a BOOLEAN_ONLY validation draws none",
}

_TAG = re.compile(r"<(script|link|img)\b([^>]*?)\b(src|href)=\"(https?://[^\"]*)\"([^>]*)>(\s*</script>)?", re.I | re.S)
_SRI = re.compile(r"\s(integrity|crossorigin)=\"[^\"]*\"", re.I)  # a local copy does not hash as the CDN's
_FOOTER = re.compile(r"<footer>(?:(?!</footer>).)*newsletter(?:(?!</footer>).)*</footer>", re.I | re.S)
_UP_LINK = re.compile(r"<a href=\"(?:\.\./)+[^\"]*\"")  # into a GX site (index, suite pages) we do not publish
_HOME = re.compile(r"<li class=\"ge-breadcrumbs-item breadcrumb-item\"><a>Home</a></li>")
_FAVICON = re.compile(r"href=\"(?:\.\./|\./)*static/images/favicon\.ico\"")
_TITLES = re.compile(r"<title>[^<]*</title>")
_DARK = "@media (prefers-color-scheme: dark)"
_ID = re.compile(r"(?<![0-9])([0-9]{6})[0-9]{8}([0-9]{3}[0-9X])(?![0-9])")


@functools.cache
def static_roots() -> dict[str, Path]:
    """Where each served asset folder is installed (no import of GX itself: it costs seconds)."""
    from xstatic.pkg import bootstrap, font_awesome, jquery

    gx = importlib.util.find_spec("great_expectations")
    assert gx is not None and gx.origin is not None
    return {
        "bootstrap": Path(bootstrap.BASE_DIR),
        "jquery": Path(jquery.BASE_DIR),
        "font-awesome": Path(font_awesome.BASE_DIR),
        "gx": Path(gx.origin).parent / "render" / "view" / "static",
    }


@functools.cache
def _view() -> Any:
    """One page view per process: each view builds its own Jinja environment, and a fresh one compiles
    every template again (~0.2 s a page); Jinja's template cache is safe to share between threads."""
    from great_expectations.render.view import DefaultJinjaPageView

    return DefaultJinjaPageView()


def run_name(kind: str, uploads: Sequence[int]) -> str:
    """The GX run name of a gate run: `upload-<id>-<kind>`, or the batch's uploads (five named at most)."""
    ids = "-".join(str(u) for u in uploads[:5])
    more = f"-and-{len(uploads) - 5}-more" if len(uploads) > 5 else ""
    return f"upload-{ids}{more}-{kind}"


def run_identifier(kind: str, uploads: Sequence[int], processed_at: datetime) -> Any:
    """A GX RunIdentifier named after the uploads, at the processing time (naive times are Asia/Shanghai's,
    as Services.now gives them; GX shows UTC with a Z)."""
    from datetime import UTC
    from zoneinfo import ZoneInfo

    from great_expectations.core.run_identifier import RunIdentifier

    when = processed_at if processed_at.tzinfo else processed_at.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    return RunIdentifier(run_name=run_name(kind, uploads), run_time=when.astimezone(UTC))


def name_run(validation_result: Any, kind: str, uploads: Sequence[int], processed_at: datetime) -> None:
    """Name the gate run in its result, as ValidationDefinition.run does (the gate validates a Batch directly,
    which leaves Run Name and Run Time `__none__`, and keeps no result in GX's in-memory store)."""
    run_id = run_identifier(kind, uploads, processed_at)
    validation_result.meta["run_id"], validation_result.meta["validation_time"] = run_id, run_id.run_time


def offline_html(validation_result: Any, title: str, static_url: str = "/datadocs/static/") -> str:
    """GX's page for the validation result, its assets at `static_url`, masked."""
    from great_expectations.render.renderer import ValidationResultsPageRenderer

    html = _view().render(ValidationResultsPageRenderer().render(validation_result))
    return mask(localise(html, title, static_url))


def localise(html: str, title: str, static_url: str) -> str:
    """Point GX's CDN assets at the local copies (drop those without one), and drop what cannot work here:
    the newsletter banner, links into a GX site that is not published, the dark-mode overrides."""
    base = static_url if static_url.endswith("/") else static_url + "/"

    def local(m: re.Match[str]) -> str:
        tag, before, attr, url, after, close = m.groups()
        path = url.split("?", 1)[0]
        for pattern, target in LOCAL_ASSETS:
            if pattern.search(path):
                return _SRI.sub("", f"<{tag}{before}{attr}=\"{base}{target}\"{after}>{close or ''}")
        return ""

    html = _TAG.sub(local, html)
    html = _FOOTER.sub("", html)
    html = _UP_LINK.sub("<a", html)
    html = _HOME.sub("", html)
    html = _FAVICON.sub(f"href=\"{base}gx/images/favicon.ico\"", html)
    html = _without_block(html, _DARK)
    # GX writes two titles (its own and an empty one); the browser shows the first
    return _TITLES.sub("", html).replace("<head>", f"<head>\n    <title>{_escape(title)}</title>", 1)


def mask(html: str) -> str:
    """ID numbers (any 18-digit number, valid or not) and mobile numbers, as everywhere a person reads."""
    return mask_text(_ID.sub(r"\1********\2", html))


def _without_block(css: str, opening: str) -> str:
    """Every `opening { ... }` block removed, nested braces included."""
    while (start := css.find(opening)) >= 0:
        depth, i = 0, css.find("{", start)
        while i < len(css):
            depth += {"{": 1, "}": -1}.get(css[i], 0)
            i += 1
            if depth == 0:
                break
        css = css[:start] + css[i:]
    return css


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
