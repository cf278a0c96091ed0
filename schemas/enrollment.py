"""Roster (学员花名册) upload rows (spec/uploads.md, stage 2)."""

from __future__ import annotations

from schemas.rows import Code, Day, IdNumber, Phone, Text, UploadRow, Uscc, col


class RosterRow(UploadRow):
    natural_key = ("class_id", "id_number")

    class_id: Text = col("班级编号")
    id_number: IdNumber = col("身份证号")
    name: Text = col("姓名")
    phone: Phone = col("手机号")
    category: Code("category") = col("人员类别")
    employer_uscc: Uscc = col("用人单位信用代码", required=False)
    payer: Code("payer") = col("出资方")
    enrolled_on: Day = col("报名日期")
