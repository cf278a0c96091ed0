"""Attendance gate: each ATT-* rule planted and a clean record left alone; attended hours stored."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from infra import db
from tests.integration.world import A, B, World, people


@pytest.fixture
def w(svc) -> World:  # noqa: ANN001
    world = World(svc)
    world.registries()
    world.file_class("A-1")  # 5 sessions 08:00–16:00
    return world


def att(w: World, *rows: dict, uscc: str = A) -> dict[int, tuple[str, set[str]]]:
    return w.verdicts(w.upload(uscc, "attendance", list(rows)))


def test_clean_records_are_accepted_and_count_as_attended_sessions(w: World) -> None:
    p = people(2)
    w.enrol("A-1", p)
    v = att(w, *[w.check("A-1", x, day=d, device=f"D{i}") for i, x in enumerate(p) for d in range(5)])
    assert all(x == ("accepted", set()) for x in v.values())
    with w.svc.engine.connect() as conn:
        hours = conn.execute(select(db.attendance_hours)).mappings().all()
    assert {(h["id_number"], h["sessions_attended"], h["attended_minutes"], h["scheduled_minutes"]) for h in hours} == {
        (p[0], 5, 2400, 2400), (p[1], 5, 2400, 2400)}


def test_a_check_in_by_someone_not_on_the_roster_is_a_ghost(w: World) -> None:
    p = people(2)
    w.enrol("A-1", p[:1])
    v = att(w, w.check("A-1", p[0]), w.check("A-1", p[1], device="D2"))
    assert v[2] == ("accepted", set())
    assert v[3] == ("rejected", {"ATT-NOT-ENROLLED"})


def test_check_out_before_check_in_or_over_14_hours_is_impossible(w: World) -> None:
    p = people(1)
    w.enrol("A-1", p)
    v = att(w, w.check("A-1", p[0], day=0, cin="16:00:00", cout="08:00:00"),
            w.check("A-1", p[0], day=1, cin="06:00:00", cout="20:00:01"),
            w.check("A-1", p[0], day=2, cin="06:00:00", cout="20:00:00"))
    assert v[2] == ("rejected", {"ATT-INVALID-TIME"}) and v[3] == ("rejected", {"ATT-INVALID-TIME"})
    assert v[4] == ("accepted", set())


def test_a_record_outside_every_session_is_rejected(w: World) -> None:
    p = people(1)
    w.enrol("A-1", p)
    v = att(w, w.check("A-1", p[0], day=0, cin="18:00:00", cout="19:00:00"), w.check("A-1", p[0], day=1))
    assert v[2] == ("rejected", {"ATT-OUTSIDE-SESSION"})
    assert v[3] == ("accepted", set())


def test_times_without_seconds_are_a_format_error(w: World) -> None:
    p = people(1)
    w.enrol("A-1", p)
    v = att(w, w.check("A-1", p[0], cin="08:00", cout="16:00"))
    assert v[2] == ("rejected", {"ROW-FORMAT"})


def test_one_person_checked_in_to_two_institutions_at_once_is_held_by_the_later_upload_and_warned_on_the_other(w: World) -> None:
    w.file_class("B-1", B, start_time="09:00", end_time="17:00")
    p = people(1)
    w.enrol("A-1", p)
    w.enrol("B-1", p, B)  # ENR-OVERLAP holds already; the check-ins prove it
    assert att(w, w.check("A-1", p[0]))[2] == ("accepted", set())
    v = att(w, w.check("B-1", p[0], cin="09:00:10", cout="16:59:00", device="B-DEV"), uscc=B)
    assert v[2] == ("accepted_flagged", {"ATT-CLASH"})
    assert sorted((f["uscc"], f["class_id"], f["effect"]) for f in w.findings("ATT-CLASH")) == sorted(
        [(A, "A-1", "warn"), (B, "B-1", "hold_trainee")])


def test_the_same_person_in_two_classes_at_different_times_is_no_clash(w: World) -> None:
    w.file_class("B-1", B, start_time="17:00", end_time="21:00", planned_hours="20")
    p = people(1)
    w.enrol("A-1", p)
    w.enrol("B-1", p, B)
    att(w, w.check("A-1", p[0]))
    v = att(w, w.check("B-1", p[0], cin="17:00:10", cout="20:59:00", device="B-DEV"), uscc=B)
    assert v[2] == ("accepted", set())


def test_five_check_ins_on_one_device_in_one_second_hold_the_class(w: World) -> None:
    p = people(6)
    w.enrol("A-1", p)
    burst = [w.check("A-1", x, cin="08:00:07", device="KIOSK") for x in p[:5]]
    v = att(w, *burst, w.check("A-1", p[5], cin="08:00:08", device="KIOSK"))
    assert all(v[r] == ("accepted_flagged", {"ATT-BURST"}) for r in range(2, 7))
    assert v[7] == ("accepted", set())
    [f] = w.findings("ATT-BURST")
    assert (f["class_id"], f["effect"], f["id_number"]) == ("A-1", "hold_class", None)


def test_four_check_ins_in_one_second_is_no_burst(w: World) -> None:
    p = people(4)
    w.enrol("A-1", p)
    v = att(w, *[w.check("A-1", x, cin="08:00:07", device="KIOSK") for x in p])
    assert all(x == ("accepted", set()) for x in v.values())


def test_a_whole_class_with_identical_times_on_three_days_is_cloned(w: World) -> None:
    p = people(10)
    w.enrol("A-1", p)
    rows = [w.check("A-1", x, day=d, device=f"D{i}") for d in range(3) for i, x in enumerate(p)]
    v = att(w, *rows)
    assert all(x == ("accepted_flagged", {"ATT-CLONED-PATTERN"}) for x in v.values())


def test_identical_times_on_two_days_only_is_not_cloned(w: World) -> None:
    p = people(10)
    w.enrol("A-1", p)
    rows = [w.check("A-1", x, day=d, device=f"D{i}") for d in range(2) for i, x in enumerate(p)]
    rows += [w.check("A-1", x, day=2, cin=f"08:00:{i:02d}", device=f"D{i}") for i, x in enumerate(p)]
    v = att(w, *rows)
    assert all(x == ("accepted", set()) for x in v.values())


def test_one_device_used_by_two_institutions_on_a_day_is_a_warning(w: World) -> None:
    w.file_class("B-1", B, start_time="17:00", end_time="21:00", planned_hours="20")
    pa, pb = people(1), people(1, offset=300)
    w.enrol("A-1", pa)
    w.enrol("B-1", pb, B)
    att(w, w.check("A-1", pa[0], device="SHARED-1"))
    v = att(w, w.check("B-1", pb[0], cin="17:00:03", cout="20:59:00", device="SHARED-1"), uscc=B)
    assert v[2] == ("accepted", {"ATT-DEVICE-SHARED"})
    assert {f["uscc"] for f in w.findings("ATT-DEVICE-SHARED")} == {A, B}
    other_day = att(w, w.check("B-1", pb[0], day=1, cin="17:00:03", cout="20:59:00", device="SHARED-2"), uscc=B)
    assert other_day[2] == ("accepted", set())


def test_a_late_check_in_beyond_the_tolerance_does_not_count_the_session(w: World) -> None:
    p = people(2)
    w.enrol("A-1", p)
    att(w, w.check("A-1", p[0], cin="08:15:00", cout="15:45:00"), w.check("A-1", p[1], cin="08:15:01", device="D2"))
    with w.svc.engine.connect() as conn:
        got = dict(conn.execute(select(db.attendance_hours.c.id_number, db.attendance_hours.c.sessions_attended)).all())
    assert got == {p[0]: 1, p[1]: 0}


def test_an_offline_session_needs_a_card_or_face_record(w: World) -> None:
    p = people(1)
    w.enrol("A-1", p)
    att(w, w.check("A-1", p[0], method="online"))
    with w.svc.engine.connect() as conn:
        assert conn.execute(select(db.attendance_hours.c.sessions_attended)).scalar_one() == 0
