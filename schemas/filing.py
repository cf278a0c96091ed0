"""Filing (开班备案) and schedule (课表) upload rows (spec/uploads.md, stage 1)."""

from __future__ import annotations

from schemas.rows import Clock, Code, Count, Day, Flag, Hours, IdNumber, Text, UploadRow, Uscc, col


class FilingRow(UploadRow):
    natural_key = ("class_id",)

    class_id: Text = col("班级编号")
    institution_uscc: Uscc = col("机构信用代码")
    occupation_code: Text = col("职业编码")
    occupation_name: Text = col("职业名称")
    level: Code("level") = col("等级")
    training_type: Code("training_type") = col("培训类型")
    project_based: Flag = col("项目制")
    start_date: Day = col("开班日期")
    end_date: Day = col("结业日期")
    planned_hours: Hours = col("计划课时")
    capacity: Count = col("计划人数")
    venue: Text = col("培训地点")
    teacher_id: IdNumber = col("授课教师身份证号")
    filed_on: Day = col("备案日期", required=False)


class ScheduleRow(UploadRow):
    natural_key = ("class_id", "session_date", "start_time")

    class_id: Text = col("班级编号")
    session_date: Day = col("上课日期")
    start_time: Clock = col("开始时间")
    end_time: Clock = col("结束时间")
    mode: Code("mode") = col("上课方式")
