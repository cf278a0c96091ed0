"""The benchmark's generator: the same seed gives the same rows and plants; 1–3 % of rows carry a planted problem."""

from __future__ import annotations

from bench.province_data import province_day


def test_the_same_seed_gives_the_same_files_and_plants() -> None:
    one, two = province_day(5, seed=3), province_day(5, seed=3)
    assert one.plants == two.plants and one.rows == two.rows
    assert _csvs(one) == _csvs(two)  # XLSX files carry the time they were written, their rows are counted above


def _csvs(day) -> dict[str, bytes]:  # noqa: ANN001
    return {k: v for k, v in day.objects.items() if k.endswith(".csv")}


def test_a_day_of_twenty_classes_plants_problems_in_one_to_three_percent_of_its_rows() -> None:
    day = province_day(20)
    share = len(day.plants) / sum(day.rows.values())
    assert 0.01 <= share <= 0.03


def test_a_day_mixes_xlsx_gbk_and_utf8_files_with_chinese_and_english_headers() -> None:
    day = province_day(20)
    csvs = [data for key, data in day.objects.items() if key.endswith(".csv") and key.startswith("inbox/")]
    assert any(key.endswith(".xlsx") for key in day.objects)
    assert any(_not_utf8(data) for data in csvs) and any(not _not_utf8(data) for data in csvs)
    headers = {data.decode("gb18030", "replace").split("\r\n")[0].split(",")[0] for data in csvs}
    assert {"班级编号", "class_id"} <= headers


def _not_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False
