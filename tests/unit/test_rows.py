"""Row models: headers in either language, lenient per-cell parsing, missing columns found."""

from schemas.enrollment import RosterRow
from schemas.filing import FilingRow
from schemas.rows import match_headers, parse_row


def test_chinese_and_english_headers_in_any_order_map_to_fields() -> None:
    positions, missing, extra = match_headers(RosterRow, ["姓名", "class_id", "身份证号", "phone", "人员类别", "payer", "报名日期", "备注"])
    assert positions[0] == "name" and positions[1] == "class_id"
    assert missing == []
    assert extra == ["备注"]


def test_a_missing_required_column_is_named() -> None:
    _, missing, _ = match_headers(RosterRow, ["class_id", "id_number", "name", "category", "payer", "enrolled_on"])
    assert missing == ["phone"]


def test_optional_columns_may_be_absent() -> None:
    _, missing, _ = match_headers(RosterRow, ["class_id", "id_number", "name", "phone", "category", "payer", "enrolled_on"])
    assert missing == []


def test_a_bad_cell_becomes_none_with_its_reason_and_the_rest_still_parses() -> None:
    values, errors = parse_row(FilingRow, {"class_id": "C1", "capacity": "thirty", "level": "中级"})
    assert values["class_id"] == "C1" and values["level"] == "4" and values["capacity"] is None
    assert set(errors) == {"capacity"}
