"""Who may touch what: an institution's credentials write only its inbox and read only its outbox,
never delete, and work at once, without restarting the store; a rotated or revoked key is refused at
once; what was processed is kept under archive/ whatever its uploader overwrites."""

from __future__ import annotations

import uuid

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

    from tests.cli import skillsub_here as skillsub  # in this process: the commands, not the process

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

    assert skillsub(env, "institution", "add", make_uscc(43), "--operator", "王").returncode == 2  # rotate instead
    rotated = skillsub(env, "institution", "rotate", make_uscc(43), "--operator", "李")
    assert rotated.returncode == 0, rotated.stderr
    new = client(seaweed, json.loads(rotated.stdout)["aws_access_key_id"], json.loads(rotated.stdout)["aws_secret_access_key"])
    with pytest.raises(ClientError, match="InvalidAccessKeyId|AccessDenied"):
        inst.put_object(Bucket=seaweed.bucket, Key=f"inbox/{make_uscc(43)}/filing/g.csv", Body=b"a")
    new.put_object(Bucket=seaweed.bucket, Key=f"inbox/{make_uscc(43)}/filing/g.csv", Body=b"a")
    assert skillsub(env, "institution", "revoke", make_uscc(43), "--operator", "李").returncode == 0
    with pytest.raises(ClientError, match="InvalidAccessKeyId|AccessDenied"):
        new.put_object(Bucket=seaweed.bucket, Key=f"inbox/{make_uscc(43)}/filing/h.csv", Body=b"a")
    rows = sqlite3.connect(tmp_path / "db.sqlite").execute("SELECT actor, action, subject FROM audit_log").fetchall()
    assert rows == [("王", "institution.add", make_uscc(43)), ("李", "institution.rotate", make_uscc(43)),
                    ("李", "institution.revoke", make_uscc(43))]


def test_an_institution_cannot_delete_what_it_uploaded(seaweed) -> None:  # noqa: ANN001
    mine = make_uscc(44)
    inst = client(seaweed, *stack.add_institution(seaweed, mine))
    key = f"inbox/{mine}/roster/r.csv"
    inst.put_object(Bucket=seaweed.bucket, Key=key, Body=b"original")
    with pytest.raises(ClientError, match="AccessDenied"):
        inst.delete_object(Bucket=seaweed.bucket, Key=key)
    batch = inst.delete_objects(Bucket=seaweed.bucket, Delete={"Objects": [{"Key": key}]})
    assert batch.get("Deleted", []) == [] and [e["Code"] for e in batch["Errors"]] == ["AccessDenied"]
    admin = client(seaweed, seaweed.access_key, seaweed.secret_key)
    assert admin.get_object(Bucket=seaweed.bucket, Key=key)["Body"].read() == b"original"


def test_a_rotated_key_is_refused_at_once_and_a_revoked_institution_is_locked_out(seaweed) -> None:  # noqa: ANN001
    from infra import tenants

    mine = make_uscc(45)
    old = client(seaweed, *stack.add_institution(seaweed, mine))
    old.put_object(Bucket=seaweed.bucket, Key=f"inbox/{mine}/roster/a.csv", Body=b"a")
    new = client(seaweed, *tenants.rotate(seaweed, mine))
    with pytest.raises(ClientError, match="InvalidAccessKeyId|AccessDenied"):
        old.put_object(Bucket=seaweed.bucket, Key=f"inbox/{mine}/roster/b.csv", Body=b"b")
    new.put_object(Bucket=seaweed.bucket, Key=f"inbox/{mine}/roster/b.csv", Body=b"b")
    with pytest.raises(ClientError, match="AccessDenied"):  # the rotated identity keeps its limits
        new.delete_object(Bucket=seaweed.bucket, Key=f"inbox/{mine}/roster/b.csv")
    tenants.revoke(seaweed, mine)
    with pytest.raises(ClientError, match="InvalidAccessKeyId|AccessDenied"):
        new.put_object(Bucket=seaweed.bucket, Key=f"inbox/{mine}/roster/c.csv", Body=b"c")
    again = client(seaweed, *stack.add_institution(seaweed, mine))  # access granted anew after a revocation
    again.put_object(Bucket=seaweed.bucket, Key=f"inbox/{mine}/roster/d.csv", Body=b"d")


def test_a_processed_original_is_kept_when_its_uploader_overwrites_it(seaweed, engine) -> None:  # noqa: ANN001
    from infra.objectstore import S3Store
    from tasks.ingest import archive_key, process_object
    from tests.conftest import make_services

    mine = make_uscc(46 if engine.dialect.name == "sqlite" else 47)
    inst = client(seaweed, *stack.add_institution(seaweed, mine))
    key = f"inbox/{mine}/roster/{uuid.uuid4().hex[:8]}.csv"
    inst.put_object(Bucket=seaweed.bucket, Key=key, Body=b"class_id,id_number\nA-1,x\n")
    store = S3Store(seaweed.bucket, seaweed.s3_endpoint_url, access_key=seaweed.access_key,
                    secret_key=seaweed.secret_key, retries=2)
    outcome = process_object(make_services(engine, store), key, "test-run")
    assert outcome.upload_id is not None
    inst.put_object(Bucket=seaweed.bucket, Key=key, Body=b"class_id,id_number\nA-1,rewritten\n")
    import hashlib

    kept = archive_key(key, hashlib.sha256(b"class_id,id_number\nA-1,x\n").hexdigest())
    assert store.get(kept) == b"class_id,id_number\nA-1,x\n"
    with pytest.raises(ClientError, match="AccessDenied"):  # and its uploader cannot reach the archive
        inst.get_object(Bucket=seaweed.bucket, Key=kept)
