"""The Prefect task of the monthly credit publication (issue 12.6), beside tasks/prefect.py's."""

from __future__ import annotations

from prefect import task

from tasks.prefect import services


@task(name="credit-recompute", retries=2, retry_delay_seconds=[5, 30])
def recompute_credit(month: str) -> dict:
    """Rate every institution for the month (a repeated run writes nothing) and show the ratings with their
    reasons as a table artifact; returns the changes."""
    from prefect.artifacts import create_table_artifact

    from tasks.credit import recompute, show

    changes = recompute(services(), month)
    table = [{"uscc": r["uscc"], "name": r["name"], "rating": r["rating"], "source": r["source"],
              "blacklisted": "是 yes" if r["blacklisted"] else "否 no", "reason_zh": r["reason_zh"],
              "reason_en": r["reason_en"]} for r in show(services())]
    create_table_artifact(key="credit-ratings", table=table or [{"uscc": "-"}],
                          description=f"信用等级 / credit ratings {month}")
    return {"month": month, "changed": [{"uscc": c.uscc, "previous": c.previous, "rating": c.rating} for c in changes],
            "institutions": len(table)}
