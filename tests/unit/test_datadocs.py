"""A GX Data Docs page as we publish it: its assets from installed packages, no banner, the run named."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from expectations.datadocs import LOCAL_ASSETS, UNAVAILABLE, mask, name_run, offline_html, run_name
from tasks.datadocs import asset_file

ASSET = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href)=\"([^\"]+)\"", re.S)


@pytest.fixture(scope="module")
def validation():  # noqa: ANN201
    """A real GX validation of a small table: one expectation met, one broken."""
    import great_expectations as gx
    import pandas as pd

    context = gx.get_context(mode="ephemeral")
    frame = pd.DataFrame({"id_number": ["110101199003070011", "X"], "phone": ["13800000001", "13912345678"]})
    batch = context.data_sources.add_pandas("p").add_dataframe_asset("roster").add_batch_definition_whole_dataframe(
        "all").get_batch(batch_parameters={"dataframe": frame})
    suite = gx.ExpectationSuite(name="roster-upload-7")
    suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column="phone"))
    suite.add_expectation(gx.expectations.ExpectColumnValueLengthsToEqual(column="id_number", value=18))
    return batch.validate(suite, result_format="BOOLEAN_ONLY")


@pytest.fixture(scope="module")
def page(validation) -> str:  # noqa: ANN001
    name_run(validation, "roster", [7], datetime(2026, 11, 26, 10, 30))
    return offline_html(validation, "上传 7 的数据文档 · Data Docs of upload 7", "/console/datadocs/static/")


def test_gx_renders_its_page_from_cdns_that_a_government_network_cannot_reach(validation) -> None:  # noqa: ANN001
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    raw = DefaultJinjaPageView().render(ValidationResultsPageRenderer().render(validation))
    assert "maxcdn.bootstrapcdn.com" in raw and "code.jquery.com" in raw and "newsletter" in raw
    remote = [u for u in ASSET.findall(raw) if u.startswith("https://")]
    unplaced = [u for u in remote if not any(p.search(u.split("?")[0]) for p, _ in LOCAL_ASSETS)
                and not any(name in u for name in UNAVAILABLE)]
    assert len(remote) >= 10 and unplaced == [], "a remote asset with neither a local copy nor a reason"


def test_no_asset_is_fetched_from_outside(page: str) -> None:
    assets = ASSET.findall(page)
    assert assets and not [a for a in assets if a.startswith(("http://", "https://", "//"))]
    assert "https://" not in re.sub(r"<a\b[^>]*>", "", page).split("<body>")[0], "nothing remote in the head"


def test_bootstrap_jquery_font_awesome_and_the_logo_load_from_the_static_base(page: str) -> None:
    assets = set(ASSET.findall(page))
    assert {"/console/datadocs/static/bootstrap/css/bootstrap.min.css",
            "/console/datadocs/static/bootstrap/js/bootstrap.bundle.min.js",
            "/console/datadocs/static/jquery/jquery.min.js",
            "/console/datadocs/static/font-awesome/css/all.min.css",
            "/console/datadocs/static/gx/images/logo-long.png",
            "/console/datadocs/static/gx/images/favicon.ico"} == assets
    # jQuery before Bootstrap's script, which needs it
    assert page.index("jquery/jquery.min.js") < page.index("bootstrap/js/bootstrap.bundle.min.js")
    # a local copy does not hash as the CDN's: a subresource-integrity check would block it
    assert "integrity=" not in page and "crossorigin=" not in page


def test_every_asset_the_page_names_is_installed_and_served() -> None:
    for _, target in LOCAL_ASSETS:
        found = asset_file(target)
        assert found is not None and found[0].stat().st_size > 0, target
    assert asset_file("gx/images/favicon.ico") is not None
    assert asset_file("font-awesome/webfonts/fa-solid-900.woff2")[1] == "font/woff2"  # what all.min.css loads


def test_the_newsletter_banner_and_links_into_an_unpublished_gx_site_are_gone(page: str) -> None:
    assert "newsletter" not in page.lower() and "Subscribe" not in page
    assert "index.html" not in page and "expectations/roster-upload-7.html" not in page
    assert ">Home<" not in page  # the breadcrumb home of a GX site
    assert "prefers-color-scheme" not in page  # GX's dark overrides without a dark Bootstrap: half a dark page


def test_run_name_and_run_time_read_the_upload_and_its_processing_time(page: str) -> None:
    assert "__none__" not in page
    assert re.search(r"Run Name</div></td><td[^>]*><div[^>]*>upload-7-roster<", page)
    # 10:30 in Shanghai is 02:30 UTC, which GX writes with a Z
    assert re.search(r"Run Time</div></td><td[^>]*><div[^>]*>2026-11-26T02:30:00Z<", page)
    assert "<title>上传 7 的数据文档 · Data Docs of upload 7</title>" in page
    assert page.count("<title>") == 1


def test_a_batch_run_is_named_after_its_uploads() -> None:
    assert run_name("roster", [3, 4]) == "upload-3-4-roster"
    assert run_name("claim", list(range(1, 13))) == "upload-1-2-3-4-5-and-7-more-claim"


def test_no_id_number_or_mobile_number_reaches_the_page() -> None:
    masked = mask("<td>110101199003070011</td><td>13800000001</td><td>12345678901234567X</td>")
    assert "110101199003070011" not in masked and "13800000001" not in masked and "12345678901234567X" not in masked
    assert "110101********0011" in masked and "138****0001" in masked


@pytest.mark.parametrize("path", ["../../etc/passwd", "gx/../../__init__.py", "bootstrap/../jquery/jquery.min.js",
                                  "/etc/passwd", "gx", "jquery/", "prefect/index.html", "gx/images/../../view.py",
                                  "bootstrap/css/bootstrap.min.css%00.png", "gx\\..\\..\\__init__.py"])
def test_a_static_path_outside_the_package_folders_is_refused(path: str) -> None:
    assert asset_file(path) is None
