"""Column-wise CSV reading (issue 10, item 3) for the files the csv module would read trivially.

A CSV without any quote character and whose line ends are \n or \r\n has one record per physical line
and one cell per comma: polars splits it at once. Anything else (quotes, lone \r) returns None and
schemas/files.py reads it with the csv module, whose strict quoting rules stay the reference.
"""

from __future__ import annotations

import polars as pl

# A row is blank when every cell strips to nothing (files.py); polars' \s is Python's str.isspace once
# the control characters decode_text refuses are gone.
_BLANK = r"^[\s,]*$"


def split_plain(text: str) -> tuple[list[str], list[int], pl.Series] | None:
    """(header, line numbers of the non-blank data rows, their cells as a polars list Series), or None."""
    if '"' in text or text.count("\r") != text.count("\r\n"):
        return None
    lines = text.replace("\r\n", "\n").split("\n")
    if lines[-1] == "":  # the last line end closes the last record; it starts none
        lines.pop()
    header = lines[0].split(",")
    body = pl.Series("line", lines[1:], dtype=pl.String)
    keep = ~body.str.contains(_BLANK)
    numbers = (pl.int_range(2, len(body) + 2, eager=True)).filter(keep).to_list()
    return header, numbers, body.filter(keep).str.split(",")
