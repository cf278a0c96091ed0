"""Institutions' S3 identities in the embedded store: add, rotate, revoke — live, without a restart.

An institution may write only inbox/<uscc>/ and read and list only outbox/<uscc>/; it may never
delete (issue 13, "Originals kept": what it uploaded stays, and every processed original is also
copied under archive/ by tasks/ingest.py, so an overwrite loses nothing either). SeaweedFS 4.48
evaluates an attached IAM policy instead of an identity's legacy actions (checked: with a policy
attached, the actions alone grant nothing), so the policy below is the whole grant.
Identities added through `weed shell` are stored in the filer and take effect at once.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from infra.stack import StackError, StackState, weed_binary


def policy(bucket: str, uscc: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": [f"arn:aws:s3:::{bucket}/inbox/{uscc}/*"]},
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"arn:aws:s3:::{bucket}/outbox/{uscc}/*"]},
        {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [f"arn:aws:s3:::{bucket}"],
         "Condition": {"StringLike": {"s3:prefix": [f"outbox/{uscc}/*"]}}},
        {"Effect": "Deny", "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"], "Resource": [f"arn:aws:s3:::{bucket}/*"]},
    ]}


def _user(uscc: str) -> str:
    return f"institution-{uscc}"


def shell(state: StackState, command: str) -> str:
    """One `weed shell` command, run in the store's folder so its security.toml signs the requests."""
    done = subprocess.run([weed_binary(), "shell", f"-master={state.master}"], input=command + "\n",
                          capture_output=True, text=True, timeout=60, cwd=state.data_dir)
    if done.returncode != 0 or "error:" in done.stdout.lower():
        raise StackError(f"weed shell {command.split()[0]} failed: {(done.stderr or done.stdout)[-300:]}")
    return done.stdout


def access_keys(state: StackState, uscc: str) -> list[str] | None:
    """The institution's active access keys, or None when it has no identity."""
    try:
        out = shell(state, f"s3.user.show -name={_user(uscc)}")
    except StackError:
        return None
    start, end = out.find("{"), out.rfind("}")
    if start < 0:
        return None
    shown = json.loads(out[start:end + 1])
    return [c["access_key"] for c in shown.get("credentials", [])]


def add(state: StackState, uscc: str) -> tuple[str, str]:
    """A new identity with its policy; refused when the institution has one (rotate or revoke it)."""
    existing = access_keys(state, uscc)
    if existing:
        raise StackError(f"{uscc} already has credentials: use `institution rotate` (or `revoke`)")
    from secrets import token_hex

    access, secret = "inst" + token_hex(8), token_hex(20)
    b = state.bucket
    actions = f"Write:{b}/inbox/{uscc}/*,Read:{b}/outbox/{uscc}/*,List:{b}/outbox/{uscc}/*"
    out = shell(state, f"s3.configure -access_key={access} -secret_key={secret} -user={_user(uscc)} -actions={actions} -apply")
    if access not in out:
        raise StackError(f"could not add credentials for {uscc}: {out[-300:]}")
    document = Path(state.data_dir) / f"policy-{uscc}.json"
    document.write_text(json.dumps(policy(b, uscc)))
    document.chmod(0o600)
    try:
        shell(state, f"s3.policy -put -name={_user(uscc)} -file={document}")
        shell(state, f"s3.policy.attach -policy={_user(uscc)} -user={_user(uscc)}")
    finally:
        document.unlink(missing_ok=True)
    if existing is not None:  # revoked before: its identity was disabled
        shell(state, f"s3.user.enable -name={_user(uscc)}")
    return access, secret


def rotate(state: StackState, uscc: str) -> tuple[str, str]:
    """A new key pair; every old key is deleted at once."""
    keys = access_keys(state, uscc)
    if not keys:
        raise StackError(f"{uscc} has no credentials to rotate: use `institution add`")
    out = shell(state, f"s3.accesskey.rotate -user={_user(uscc)} -access_key={keys[0]}")
    access, secret = re.search(r"Access Key:\s*(\S+)", out), re.search(r"Secret Key:\s*(\S+)", out)
    if not access or not secret:
        raise StackError(f"could not rotate the key of {uscc}: {out[-300:]}")
    for old in keys[1:]:
        shell(state, f"s3.accesskey.delete -user={_user(uscc)} -access_key={old}")
    return access.group(1), secret.group(1)


def revoke(state: StackState, uscc: str) -> list[str]:
    """Delete every key and disable the identity (kept, so who had access stays visible); returns the keys."""
    keys = access_keys(state, uscc)
    if keys is None:
        raise StackError(f"{uscc} has no credentials")
    for key in keys:
        shell(state, f"s3.accesskey.delete -user={_user(uscc)} -access_key={key}")
    shell(state, f"s3.user.disable -name={_user(uscc)}")
    return keys
