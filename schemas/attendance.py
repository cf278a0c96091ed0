"""Attendance (考勤记录) upload rows (spec/uploads.md, stage 3): check-in/out carry seconds."""

from __future__ import annotations

from schemas.rows import Code, IdNumber, Stamp, Text, UploadRow, col


class AttendanceRow(UploadRow):
    natural_key = ("class_id", "id_number", "check_in")

    class_id: Text = col("班级编号")
    id_number: IdNumber = col("身份证号")
    check_in: Stamp = col("签到时间")
    check_out: Stamp = col("签退时间")
    method: Code("method") = col("考勤方式")
    device_id: Text = col("设备编号")
