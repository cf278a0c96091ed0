"""Which uploads may share a gate run, and how the listener groups a burst (issue 10)."""

from flows.listener import bursts
from tasks.batching import entities, rounds


def test_uploads_that_share_nothing_share_the_first_round() -> None:
    a = entities("A", [{"id_number": "1", "phone": "p1"}])
    b = entities("B", [{"id_number": "2", "phone": "p2"}])
    assert rounds([a, b]) == [0, 0]


def test_an_upload_meeting_an_earlier_one_waits_for_it_and_keeps_its_order() -> None:
    a = entities("A", [{"id_number": "1"}])
    b = entities("B", [{"id_number": "1"}])  # the same trainee in another institution's class
    c = entities("C", [{"device_id": "D"}])
    d = entities("D", [{"device_id": "D"}, {"id_number": "1"}])
    assert rounds([a, b, c, d]) == [0, 1, 0, 2]


def test_every_upload_of_one_institution_keeps_stage_order() -> None:
    filing, roster = entities("A", [{"class_id": "X"}]), entities("A", [{"class_id": "X", "id_number": "9"}])
    assert rounds([filing, roster]) == [0, 1]


def test_a_schedule_meets_other_classes_through_its_class_teacher_and_venue() -> None:
    classes = {("A", "X"): {("teacher", "T")}, ("B", "Y"): {("teacher", "T")}}
    a = entities("A", [{"class_id": "X"}], "schedule", classes)
    b = entities("B", [{"class_id": "Y"}], "schedule", classes)
    assert rounds([a, b]) == [0, 1]


def test_filings_naming_one_teacher_share_a_run_but_a_schedule_waits_for_them() -> None:
    fa = entities("A", [{"class_id": "X", "teacher_id": "T"}], "filing")
    fb = entities("B", [{"class_id": "Y", "teacher_id": "T"}], "filing")
    sc = entities("C", [{"class_id": "Z"}], "schedule", {("C", "Z"): {("teacher", "T")}})
    fd = entities("D", [{"class_id": "W", "teacher_id": "T"}], "filing")
    assert rounds([fa, fb, sc, fd]) == [0, 0, 1, 2]


def test_blank_cells_tie_nothing() -> None:
    assert entities("A", [{"phone": None, "venue": ""}]).shared == frozenset({("institution", "A")})


def test_a_burst_is_submitted_together_once_the_uploads_stop_landing() -> None:
    landed = iter(["a", "b", None, None, "c", None])
    assert list(bursts(landed, limit=10)) == [["a", "b"], ["c"]]


def test_a_long_burst_is_submitted_in_bites() -> None:
    assert list(bursts(iter(["a", "b", "c", "d", "e"]), limit=2)) == [["a", "b"], ["c", "d"], ["e"]]
