"""Who may touch what: an institution's credentials write only its inbox and read only its outbox,
and work at once, without restarting the store."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from infra import stack
from infra.samples import make_uscc


def client(seaweed, access: str, secret: str):  # noqa: ANN001, ANN201
    return boto3.client("s3", endpoint_url=seaweed.s3_endpoint_url, aws_access_key_id=access, aws_secret_access_key=secret,
                        region_name="us-east-1")


def test_an_institution_writes_only_its_inbox_and_reads_only_its_outbox(seaweed) -> None:  # noqa: ANN001
    mine, other = make_uscc(41), make_uscc(42)
    admin = client(seaweed, seaweed.access_key, seaweed.secret_key)
    admin.put_object(Bucket=seaweed.bucket, Key=f"outbox/{mine}/roster/r.result.csv", Body=b"ok")
    admin.put_object(Bucket=seaweed.bucket, Key=f"outbox/{other}/roster/r.result.csv", Body=b"secret")
    access, secret = stack.add_institution(seaweed, mine)
    inst = client(seaweed, access, secret)
    inst.put_object(Bucket=seaweed.bucket, Key=f"inbox/{mine}/roster/r.csv", Body=b"a")
    assert inst.get_object(Bucket=seaweed.bucket, Key=f"outbox/{mine}/roster/r.result.csv")["Body"].read() == b"ok"
    refused = [
        lambda: inst.put_object(Bucket=seaweed.bucket, Key=f"inbox/{other}/roster/r.csv", Body=b"a"),
        lambda: inst.put_object(Bucket=seaweed.bucket, Key=f"outbox/{mine}/roster/forged.result.csv", Body=b"a"),
        lambda: inst.get_object(Bucket=seaweed.bucket, Key=f"outbox/{other}/roster/r.result.csv"),
        lambda: inst.get_object(Bucket=seaweed.bucket, Key=f"inbox/{mine}/roster/r.csv"),
        lambda: inst.put_object(Bucket=seaweed.bucket, Key="reference/pensioners/p.csv", Body=b"a"),
    ]
    for attempt in refused:
        with pytest.raises(ClientError, match="AccessDenied"):
            attempt()


def test_the_command_grants_access_and_records_who_did(seaweed, tmp_path) -> None:  # noqa: ANN001
    import json

    from tests.integration.test_cli import skillsub

    stack.save_state(tmp_path / "stack.json", seaweed)
    env = {"SKILLSUB_DATA_DIR": str(tmp_path), "SKILLSUB_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    assert skillsub(env, "db", "upgrade").returncode == 0
    assert skillsub(env, "institution", "add", "not-a-code", "--operator", "王").returncode == 2
    done = skillsub(env, "institution", "add", make_uscc(43), "--operator", "王")
    assert done.returncode == 0, done.stderr
    grant = json.loads(done.stdout)
    inst = client(seaweed, grant["aws_access_key_id"], grant["aws_secret_access_key"])
    inst.put_object(Bucket=seaweed.bucket, Key=f"inbox/{make_uscc(43)}/filing/f.csv", Body=b"a")
    import sqlite3

    rows = sqlite3.connect(tmp_path / "db.sqlite").execute("SELECT actor, action, subject FROM audit_log").fetchall()
    assert rows == [("王", "institution.add", make_uscc(43))]
