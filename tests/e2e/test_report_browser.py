"""The HTML period report in headless Chromium (issue 12 point 2): it opens offline, its four charts load,
and their Chinese labels are real glyphs of the CJK font (no "Glyph missing" box). A screenshot is kept."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
from matplotlib import font_manager
from matplotlib.text import Text
from rich.console import Console

from flows.demo import play
from flows.demo_runs import LocalRunner
from infra.objectstore import MemoryStore
from schemas.report_period import parse_period
from tasks import exports, period_report, report_charts, report_render

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def sample_svc(sqlite_url: str):  # noqa: ANN201
    """The sample scenario (infra/samples.py) played on SQLite, as `skillsub demo` plays it."""
    from tests.conftest import _engine, _wipe, make_services

    eng = _engine(sqlite_url)
    _wipe(eng)
    svc = make_services(eng, MemoryStore())
    play(svc, LocalRunner(svc), Console(width=80, record=True))
    return svc


def test_every_chart_label_is_drawn_in_the_cjk_font_with_no_glyph_missing(sample_svc) -> None:  # noqa: ANN001
    model = period_report.build(sample_svc, parse_period(f"{sample_svc.now():%Y-%m}"))
    cjk_file = report_charts.cjk_font().get_file()
    assert "NotoSansCJK" in Path(cjk_file).name
    for name in report_charts.CHARTS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig = report_charts.figure(name, model)
            report_charts.png(fig)  # drawing lays out every tick label too
        assert not [w for w in caught if "Glyph" in str(w.message)], name
        chinese = [t for t in fig.findobj(Text) if CJK.search(t.get_text())]
        assert chinese, f"{name} has no Chinese label"
        for t in chinese:
            assert font_manager.findfont(t.get_fontproperties()) == cjk_file, (name, t.get_text())


def test_the_html_report_opens_in_chromium_with_its_charts(sample_svc, page, screenshot, tmp_path) -> None:  # noqa: ANN001
    last = max(e["booked_on"] for e in exports.ledger(sample_svc))[:7]  # the month of the settlement and recovery
    model = period_report.build(sample_svc, parse_period(last))
    assert model["money"]["by_kind_fen"]["recovery"] < 0
    html = tmp_path / "monthly.html"
    html.write_bytes(report_render.render(model, "html"))
    page.goto(html.as_uri())
    year, month = last.split("-")
    assert page.locator("h1").inner_text() == f"苏州职业技能培训补贴{year}年{int(month)}月月报"
    sizes = page.eval_on_selector_all("img[id^=chart-]", "imgs => imgs.map(i => [i.id, i.complete, i.naturalWidth])")
    assert [s[0] for s in sizes] == [f"chart-{n}" for n in report_charts.CHARTS]
    assert all(done and width > 300 for _, done, width in sizes)
    assert page.locator("#money-recovery").inner_text() == model["money"]["by_kind_yuan"]["recovery"]
    assert page.locator("#version").inner_text().startswith("第1版")
    shot = screenshot(page, "period-report-monthly")
    assert shot.stat().st_size > 50_000


def test_without_a_cjk_font_the_charts_refuse_and_say_how_to_install_one(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(font_manager.fontManager, "ttflist",
                        [f for f in font_manager.fontManager.ttflist if "CJK" not in f.name])
    report_charts.cjk_font.cache_clear()
    try:
        with pytest.raises(report_charts.NoCJKFont, match="make system-deps"):
            report_charts.cjk_font()
    finally:
        monkeypatch.undo()
        report_charts.cjk_font.cache_clear()
    assert "NotoSansCJK" in Path(report_charts.cjk_font().get_file()).name
