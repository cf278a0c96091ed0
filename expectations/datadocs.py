"""Great Expectations Data Docs for one gate run, made to work offline and to show no personal data.

GX's page templates pull Bootstrap, jQuery and Vega from public CDNs; government networks have no
such access, so those tags are removed and GX's own stylesheet is inlined. The validation runs with
BOOLEAN_ONLY, so no failing values reach the page; ID numbers are masked again as a second line.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import great_expectations
from great_expectations.render.renderer import ValidationResultsPageRenderer
from great_expectations.render.view import DefaultJinjaPageView

_REMOTE = re.compile(r"<(script|link)\b[^>]*\b(src|href)=\"https?://[^\"]*\"[^>]*>(\s*</script>)?", re.I)
_ID = re.compile(r"(?<![0-9])([0-9]{6})[0-9]{8}([0-9]{3}[0-9X])(?![0-9])")
_CSS = Path(great_expectations.__file__).parent / "render" / "view" / "static" / "styles" / "data_docs_default_styles.css"


@functools.cache
def _view() -> DefaultJinjaPageView:
    """One page view per process: each view builds its own Jinja environment, and a fresh one compiles
    every template again (~0.2 s a page); Jinja's template cache is safe to share between threads."""
    return DefaultJinjaPageView()


def offline_html(validation_result: Any, title: str) -> str:
    html = _view().render(ValidationResultsPageRenderer().render(validation_result))
    html = _REMOTE.sub("", html)
    style = f"<style>{_CSS.read_text(encoding='utf-8') if _CSS.exists() else ''}</style>"
    html = html.replace("</head>", f"<title>{title}</title>{style}</head>", 1)
    return _ID.sub(r"\1********\2", html)
