"""Rendering of a period report model (tasks/period_report.build) as JSON, Markdown, HTML (jinja2, charts
as base64 PNG) or XLSX (openpyxl, charts as images). Chinese first, English alongside; yuan with two decimals.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from schemas.report_period import KIND_LABELS, KINDS
from tasks.period_report import DECISIONS, FUNNEL, FUNNEL_LABELS
from tasks.report_credit import SOURCE_LABELS

FORMATS = ("xlsx", "html", "json", "md")
CONTENT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "html": "text/html; charset=utf-8", "json": "application/json", "md": "text/markdown; charset=utf-8",
                 "csv": "text/csv; charset=utf-8"}
CHART_TITLES = {"money_per_month": "按月记账金额 Money per month", "funnel": "培训漏斗 Training funnel",
                "findings_by_family": "问题按规则类别 Findings by rule family",
                "institutions_by_rating": "机构信用等级 Institutions by rating"}
DECISION_LABELS = {"opened": "新增 opened", "confirmed": "确认 confirmed", "dismissed": "驳回 dismissed",
                   "resolved": "解除 resolved"}
CHANGE_LABELS = {"classes_filed": "备案班级 classes filed", "classes_finished": "结业班级 classes finished",
                 "enrolled": "报名 enrolled", "trained": "完成培训 trained", "passed": "考核合格 passed",
                 "certified": "取得证书 certified", "findings_opened": "新增问题 findings opened",
                 "money_net_fen": "净拨付（元） net money (yuan)"}
ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html", "j2"]),
                   trim_blocks=True, lstrip_blocks=True)


def version_line(model: dict) -> tuple[str, str]:
    r = model["report"]
    zh = f"第{r['version']}版" + (f"，取代 {r['supersedes']}" if r["supersedes"] else "")
    en = f"version {r['version']}" + (f", supersedes {r['supersedes']}" if r["supersedes"] else "")
    return zh, en


def to_json(model: dict) -> bytes:
    return json.dumps(model, ensure_ascii=False, indent=1).encode()


def _md_table(header: list[str], rows: list[list[object]]) -> list[str]:
    def cell(v: object) -> str:
        return "—" if v is None else str(v).replace("|", "\\|")
    return ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header),
            *("| " + " | ".join(cell(v) for v in r) + " |" for r in rows), ""]


def _yuan_of_change(k: str, v: int) -> object:
    return f"{v / 100:.2f}" if k == "money_net_fen" else v


def to_md(model: dict) -> bytes:
    r, m = model["report"], model["money"]
    zh, en = version_line(model)
    out = [f"# {r['title_zh']}", f"_{r['title_en']}_", "", f"{r['from']} – {r['to']}（不含 exclusive）· {zh} · {en}", ""]
    out += ["## 班级 Classes", "", *_md_table(["备案 filed", "结业 finished"],
                                               [[model["classes"]["filed"], model["classes"]["finished"]]])]
    t = model["people"]["totals"]
    out += ["## 人员 People", "", *_md_table([" ".join(FUNNEL_LABELS[s]) for s in FUNNEL], [[t[s] for s in FUNNEL]])]
    out += _md_table(["培训类型 training type", "人员类别 category", *(" ".join(FUNNEL_LABELS[s]) for s in FUNNEL)],
                     [[f"{x['training_type_zh']} {x['training_type']}", f"{x['category_zh']} {x['category']}",
                       *(x[s] for s in FUNNEL)] for x in model["people"]["by_type_category"]])
    out += ["## 出勤率 Attendance", "", f"总体 overall: {model['attendance']['overall'] or '—'}%", "",
            *_md_table(["培训类型 training type", "出勤率 % rate"],
                       [[f"{a['training_type_zh']} {a['training_type']}", a["rate"]]
                        for a in model["attendance"]["by_training_type"]])]
    out += ["## 问题 Findings", "", *_md_table(["规则类别 family", *(DECISION_LABELS[d] for d in DECISIONS)],
                                                [[f["family"], *(f[d] for d in DECISIONS)]
                                                 for f in model["findings"]["by_family"]])]
    out += ["## 资金（元） Money (yuan)", "", *_md_table(["类别 kind", "金额 yuan"],
                                                     [[" ".join(KIND_LABELS[k]), m["by_kind_yuan"][k]] for k in KINDS]
                                                     + [["合计 net", m["net_yuan"]]])]
    out += _md_table(["资金账户 fund", "金额 yuan"], [[f, v] for f, v in m["by_fund_yuan"].items()])
    out += ["## 追回 Recoveries ordered", "", *_md_table(
        ["记账日 booked", "机构 institution", "班级 class", "收款方 payee", "账户 fund", "金额 yuan"],
        [[x["booked_on"], f"{x['institution']} {x['uscc']}", x["class_id"], x["payee"], x["fund"], x["amount_yuan"]]
         for x in model["recoveries"]])]
    out += ["## 未结算的先行拨付 Advances not yet settled", "", *_md_table(
        ["记账日 booked", "机构 institution", "班级 class", "账户 fund", "金额 yuan", "天数 days"],
        [[x["booked_on"], f"{x['institution']} {x['uscc']}", x["class_id"], x["fund"], x["amount_yuan"],
          x["days_outstanding"]] for x in model["advances_unsettled"]])]
    out += ["## 机构 Institutions", "", *_md_table(
        ["机构 institution", "班级 classes", "学员 trainees", "合格率 % pass", "取证率 % certified", "金额 yuan",
         "问题 findings", "信用 rating"],
        [[f"{i['name']} {i['uscc']}", i["classes"], i["trainees"], i["pass_rate"], i["certification_rate"],
          i["money_yuan"], i["findings"], i["rating"]] for i in model["institutions"]])]
    out += _credit_md(model["credit"])
    ch = model["change"]
    out += [f"## 环比 Change against {ch['previous']}", "", *_md_table(
        ["指标 measure", "本期 now", "上期 before", "变化 change", "% "],
        [[CHANGE_LABELS[k], _yuan_of_change(k, v["now"]), _yuan_of_change(k, v["before"]), _yuan_of_change(k, v["delta"]),
          v["percent"]] for k, v in ch.items() if k != "previous"])]
    if model["targets"]:
        tg = model["targets"]
        rows = [[CHANGE_LABELS[k], tg[key]["done"], tg[key]["target"], tg[key]["percent"]]
                for key, k in (("classes", "classes_filed"), ("trained", "trained"), ("certified", "certified")) if tg[key]]
        if tg["subsidy"]:
            rows.append(["补贴（元） subsidy (yuan)", tg["subsidy"]["done_yuan"], tg["subsidy"]["target_yuan"],
                         tg["subsidy"]["percent"]])
        out += [f"## 年度目标进度 Progress against {tg['year']}'s targets", "",
                *_md_table(["指标 measure", "累计 done", "目标 target", "%"], rows)]
    return "\n".join(out).encode()


def _changed(x: dict) -> str:
    return "是 yes" if x["changed"] else "否 no"


def _credit_md(credit: dict) -> list[str]:
    """信用等级 Credit ratings: the period's rating per institution with its reasons, then the period's overrides
    and fraud downgrades (tasks/report_credit.py)."""
    out = [f"## 信用等级 Credit ratings ({credit['month']})", "", *_md_table(
        ["机构 institution", "等级 rating", "上次 previous", "变化 changed", "来源 source", "理由 reasons", "reasons"],
        [[f"{x['name']} {x['uscc']}", x["rating"], x["previous"], _changed(x), SOURCE_LABELS[x["source"]],
          x["reason_zh"], x["reason_en"]] for x in credit["institutions"]])]
    out += ["### 本期调整与违规降级 Overrides and fraud downgrades in the period", "", *_md_table(
        ["生效 effective", "机构 institution", "类型 kind", "上次 previous", "等级 rating", "理由 reasons", "reasons",
         "决定人 decided by"],
        [[e["effective_on"], f"{e['name']} {e['uscc']}", SOURCE_LABELS[e["source"]], e["previous"], e["rating"],
          e["reason_zh"], e["reason_en"], e["decided_by"]] for e in credit["events"]])]
    return out


def to_html(model: dict, charts: dict[str, bytes]) -> bytes:
    images = {n: base64.b64encode(b).decode() for n, b in charts.items()}
    zh, en = version_line(model)
    return ENV.get_template("period_report.html.j2").render(
        m=model, charts=images, chart_titles=CHART_TITLES, version_zh=zh, version_en=en, funnel=FUNNEL,
        funnel_labels=FUNNEL_LABELS, kinds=KINDS, kind_labels=KIND_LABELS, decisions=DECISIONS,
        decision_labels=DECISION_LABELS, change_labels=CHANGE_LABELS, source_labels=SOURCE_LABELS).encode()


def to_xlsx(model: dict, charts: dict[str, bytes]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Font

    r, m = model["report"], model["money"]
    wb = Workbook()
    ws = wb.active
    ws.title = "概要 Summary"
    zh, en = version_line(model)
    ws.append([r["title_zh"]])
    ws.append([r["title_en"]])
    ws.append([f"{r['from']} – {r['to']}", zh, en])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([])
    ws.append(["班级 Classes", "备案 filed", model["classes"]["filed"], "结业 finished", model["classes"]["finished"]])
    for s in FUNNEL:
        ws.append([" ".join(FUNNEL_LABELS[s]), model["people"]["totals"][s]])
    ws.append(["出勤率 % attendance", model["attendance"]["overall"]])
    for k in KINDS:  # yuan with two decimals as text: exact, never a float
        ws.append([" ".join(KIND_LABELS[k]) + "（元 yuan）", m["by_kind_yuan"][k]])
    for f, v in m["by_fund_yuan"].items():
        ws.append([f"账户 fund: {f}（元 yuan）", v])
    ws.column_dimensions["A"].width = 36

    def sheet(title: str, header: list[str], rows: list[list[object]]) -> None:
        s = wb.create_sheet(title)
        s.append(header)
        for c in s[1]:
            c.font = Font(bold=True)
        for row in rows:
            s.append(row)
        for col in "ABCDEFGHI":
            s.column_dimensions[col].width = 18

    sheet("人员 People", ["培训类型 training type", "人员类别 category", *(" ".join(FUNNEL_LABELS[s]) for s in FUNNEL)],
          [[f"{x['training_type_zh']} {x['training_type']}", f"{x['category_zh']} {x['category']}",
            *(x[s] for s in FUNNEL)] for x in model["people"]["by_type_category"]])
    sheet("问题 Findings", ["规则类别 family", *(DECISION_LABELS[d] for d in DECISIONS)],
          [[f["family"], *(f[d] for d in DECISIONS)] for f in model["findings"]["by_family"]])
    sheet("追回 Recoveries", ["记账日 booked", "机构 institution", "统一社会信用代码 USCC", "班级 class", "收款方 payee",
                             "账户 fund", "金额 yuan"],
          [[x["booked_on"], x["institution"], x["uscc"], x["class_id"], x["payee"], x["fund"], x["amount_yuan"]]
           for x in model["recoveries"]])
    sheet("未结算先行拨付 Advances", ["记账日 booked", "机构 institution", "统一社会信用代码 USCC", "班级 class",
                                  "账户 fund", "金额 yuan", "天数 days"],
          [[x["booked_on"], x["institution"], x["uscc"], x["class_id"], x["fund"], x["amount_yuan"],
            x["days_outstanding"]] for x in model["advances_unsettled"]])
    sheet("机构 Institutions", ["机构 institution", "统一社会信用代码 USCC", "班级 classes", "学员 trainees",
                               "合格率 % pass", "取证率 % certified", "金额 yuan", "问题 findings", "信用 rating"],
          [[i["name"], i["uscc"], i["classes"], i["trainees"], i["pass_rate"], i["certification_rate"], i["money_yuan"],
            i["findings"], i["rating"]] for i in model["institutions"]])
    sheet("信用等级 Credit", ["机构 institution", "统一社会信用代码 USCC", "等级 rating", "上次 previous", "变化 changed",
                            "来源 source", "理由 reasons (中文)", "reasons (English)"],
          [[x["name"], x["uscc"], x["rating"], x["previous"], _changed(x), SOURCE_LABELS[x["source"]], x["reason_zh"],
            x["reason_en"]] for x in model["credit"]["institutions"]]
          + [[], ["本期调整与违规降级 Overrides and fraud downgrades", "生效 effective", "等级 rating", "上次 previous",
                  "类型 kind", "决定人 decided by", "理由 reasons (中文)", "reasons (English)"]]
          + [[f"{e['name']} {e['uscc']}", e["effective_on"], e["rating"], e["previous"], SOURCE_LABELS[e["source"]],
              e["decided_by"], e["reason_zh"], e["reason_en"]] for e in model["credit"]["events"]])
    sheet("环比 Change", ["指标 measure", "本期 now", "上期 before", "变化 change", "%"],
          [[CHANGE_LABELS[k], _yuan_of_change(k, v["now"]), _yuan_of_change(k, v["before"]),
            _yuan_of_change(k, v["delta"]), v["percent"]] for k, v in model["change"].items() if k != "previous"])
    cs = wb.create_sheet("图表 Charts")
    row = 1
    for name, data in charts.items():
        cs.cell(row=row, column=1, value=CHART_TITLES[name]).font = Font(bold=True)
        img = Image(io.BytesIO(data))
        cs.add_image(img, f"A{row + 1}")
        row += int(img.height / 20) + 3
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def render(model: dict, fmt: str, charts: dict[str, bytes] | None = None) -> bytes:
    """One format; the charts are drawn only for the formats that embed them."""
    if fmt == "json":
        return to_json(model)
    if fmt == "md":
        return to_md(model)
    if charts is None:
        from tasks.report_charts import render_all

        charts = render_all(model)
    return to_html(model, charts) if fmt == "html" else to_xlsx(model, charts)
