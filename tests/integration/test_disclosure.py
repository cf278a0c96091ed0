"""The public disclosure (issue 12 point 5): fund use per institution and training type, with no personal data."""

from __future__ import annotations

import csv
import io
import re

import pytest

from schemas.report_period import parse_period
from tasks import disclosure
from tests.integration import test_money
from tests.integration.world import A, World, people


@pytest.fixture
def w(svc) -> World:  # noqa: ANN001
    """The money tests' world: registries loaded, institutions A/B/C."""
    world = World(svc)
    world.registries()
    return world


NAMES = ["张三丰", "李小龙", "欧阳娜娜"]
PHONES = ["13912345678", "13698765432", "15811112222"]


def seeded(w: World) -> list[str]:
    """Three trainees with names, phones and ID numbers; paid, and one of them recovered later."""
    ids = people(3, offset=300)
    test_money.run_class(w, "S-1", [w.roster_row("S-1", x, PHONES[i], name=NAMES[i], payer="individual")
                                    for i, x in enumerate(ids)])
    test_money.claim(w, "S-1", "final", "4500")
    test_money.nightly(w)
    return ids


def forbidden(ids: list[str]) -> list[str]:
    """Everything personal, whole and in pieces: ID numbers, their masked forms' hidden middle digits,
    phones, the phones' hidden middles, names and surnames with given names."""
    out = []
    for x in ids:
        out += [x, x[6:14], x[:6] + "********" + x[14:]]
    for p in PHONES:
        out += [p, p[3:7], p[:3] + "****" + p[7:]]
    out += NAMES + [n[1:] for n in NAMES]
    return out


def test_the_disclosure_shows_classes_trainees_and_money_per_institution_and_type(w: World) -> None:
    seeded(w)
    rows = disclosure.rows(w.svc, parse_period(str(test_money.AFTER)[:7]))
    assert [(r["uscc"], r["training_type"], r["classes"], r["trainees"], r["paid_yuan"], r["recovered_yuan"])
            for r in rows] == [(A, "就业技能培训 employment", 1, 3, "4500.00", "0.00")]  # ended and paid in January
    assert disclosure.rows(w.svc, parse_period("2026-Q4")) == []  # nothing ended or was booked before


def test_no_id_number_phone_or_name_can_appear_in_either_format(w: World) -> None:
    ids = seeded(w)
    for period in ("2026-12", "2027-01", "2026", "2027"):
        p = parse_period(period)
        data = disclosure.rows(w.svc, p)
        texts = {"csv": disclosure.to_csv(data).decode("utf-8-sig"), "html": disclosure.to_html(w.svc, p, data).decode()}
        for fmt, text in texts.items():
            for secret in forbidden(ids):
                assert secret not in text, (period, fmt, secret)
            assert not re.search(r"\d{17}[\dX]", text.replace(A, "")), (period, fmt)  # nothing ID-shaped but USCCs
            assert not re.search(r"1[3-9]\d{9}", text.replace(A, "")), (period, fmt)  # nothing phone-shaped


def test_the_csv_opens_in_excel_with_chinese_headers(w: World) -> None:
    seeded(w)
    body = disclosure.to_csv(disclosure.rows(w.svc, parse_period("2027")))
    assert body.startswith("\ufeff".encode())
    header, row = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[:2]
    assert header[0] == "机构名称 institution" and row[-2:] == ["4500.00", "0.00"]
