"""Assessment (考核结果) upload rows (spec/uploads.md, stage 4)."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

from schemas import cells
from schemas.rows import Day, Flag, IdNumber, Text, UploadRow, Uscc, _cell, col

# A score out of 0–100 is still a number: ASM-SCORE decides, not ROW-FORMAT, so negatives parse too.
Score = _cell(partial(cells.parse_signed_decimal, places=2), Decimal)


class AssessmentRow(UploadRow):
    natural_key = ("class_id", "id_number")

    class_id: Text = col("班级编号")
    id_number: IdNumber = col("身份证号")
    exam_date: Day = col("考核日期")
    score: Score = col("成绩")
    passed: Flag = col("是否合格")
    assessor_uscc: Uscc = col("评价机构信用代码")
