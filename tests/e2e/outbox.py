"""Reading an institution's outbox the way it would: boto3 and a CSV reader."""

from __future__ import annotations

import csv
import io


def result(client, bucket: str, key: str) -> list[dict[str, str]]:  # noqa: ANN001
    """The rows of <name>.result.csv for an inbox key."""
    parts = key.split("/")
    name = parts[-1].rsplit(".", 1)[0]
    body = client.get_object(Bucket=bucket, Key=f"outbox/{parts[1]}/{parts[2]}/{name}.result.csv")["Body"].read()
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM so Excel shows Chinese"
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def verdicts_by(rows: list[dict[str, str]], column: str) -> dict[str, list[tuple[str, set[str]]]]:
    out: dict[str, list[tuple[str, set[str]]]] = {}
    for r in rows:
        out.setdefault(r[column], []).append((r["verdict"], set(filter(None, r["rule_codes"].split(";")))))
    return out
