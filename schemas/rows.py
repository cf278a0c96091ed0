"""Base of the upload row models: lenient per-cell parsing, header matching.

A row model's fields are all optional: a cell that cannot be parsed becomes None and
its reason is kept (ROW-FORMAT); whether a required cell is present is a gate
expectation, so the gate, not the parser, decides every verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from decimal import Decimal
from functools import partial
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from schemas import cells


def _optional(parser: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def parse(value: Any) -> Any:
        if value is None or (isinstance(value, str) and cells.clean(value) is None):
            return None
        return parser(value)

    parse.parser = parser  # type: ignore[attr-defined]  # schemas/docs.py describes the cell format from it
    return parse


def _cell(parser: Callable[[Any], Any], typ: Any) -> Any:
    return Annotated[typ | None, BeforeValidator(_optional(parser))]


Text = _cell(cells.parse_text, str)
Uscc = _cell(cells.parse_uscc, str)
IdNumber = _cell(cells.normalise_id_number, str)
Phone = _cell(cells.parse_phone, str)
Day = _cell(cells.parse_date, date)
Clock = _cell(cells.parse_time, time)
Stamp = _cell(partial(cells.parse_timestamp, need_seconds=True), datetime)
Flag = _cell(cells.parse_bool, bool)
Hours = _cell(partial(cells.parse_decimal, places=2), Decimal)
Count = _cell(cells.parse_int, int)
Fen = _cell(cells.yuan_to_fen, int)


def Code(list_name: str) -> Any:  # noqa: N802 - reads like a type in the models
    return _cell(partial(cells.parse_code, list_name), str)


def col(zh: str, *, required: bool = True, en: str | None = None) -> Any:
    """A column with its Chinese header (and English header when it differs from the field name)."""
    return Field(default=None, json_schema_extra={"zh": zh, "required": required, "en": en})


class UploadRow(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    natural_key: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def headers(cls) -> dict[str, str]:
        """Every accepted header spelling (lower-cased) → field name."""
        out: dict[str, str] = {}
        for name, info in cls.model_fields.items():
            extra = info.json_schema_extra or {}
            out[str(extra.get("en") or name).lower()] = name
            out[str(extra["zh"]).lower()] = name
        return out

    @classmethod
    def required_columns(cls) -> list[str]:
        return [n for n, f in cls.model_fields.items() if (f.json_schema_extra or {}).get("required")]

    @classmethod
    def zh_header(cls, field: str) -> str:
        return str((cls.model_fields[field].json_schema_extra or {})["zh"])

    @classmethod
    def en_header(cls, field: str) -> str:
        return str((cls.model_fields[field].json_schema_extra or {}).get("en") or field)


def match_headers(model: type[UploadRow], header: Iterable[object]) -> tuple[dict[int, str], list[str], list[str]]:
    """Column positions → field names; plus missing required fields and ignored extra headers."""
    known = model.headers()
    positions: dict[int, str] = {}
    extra: list[str] = []
    for i, raw in enumerate(header):
        text = cells.clean(raw)
        name = known.get(text.lower()) if text else None
        if name and name not in positions.values():
            positions[i] = name
        elif text:
            extra.append(text)
    missing = [f for f in model.required_columns() if f not in positions.values()]
    return positions, missing, extra


def parse_row(model: type[UploadRow], raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse one row: (values, {field: reason}) — unparseable cells become None, never a crash."""
    try:
        return model.model_validate(raw).model_dump(), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors(include_url=False, include_input=False):
            field = str(err["loc"][0]) if err["loc"] else "?"
            errors.setdefault(field, str(err["msg"]).removeprefix("Value error, "))
        kept = {k: v for k, v in raw.items() if k not in errors}
        return model.model_validate(kept).model_dump(), errors


def parse_cells(model: type[UploadRow], positions: dict[int, str], cells: list[Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse one file row by the positions `match_headers` found; columns it ignored stay ignored."""
    return parse_row(model, {positions[i]: c for i, c in enumerate(cells) if i in positions})
