"""Only the S3 port serves outsiders (issue 13, point 1): someone on the machine without the stack's
keys gets nothing from the filer, volume and master ports — over HTTP (JWT) or gRPC (mutual TLS) —
while the stack's own tools, started in the store's folder, keep working."""

from __future__ import annotations

import stat
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

from infra import stack, tenants
from infra.samples import make_uscc


def status_of(method: str, url: str) -> int:
    request = urllib.request.Request(url, data=b"forged" if method == "PUT" else None, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310 - loopback
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_the_filer_and_volume_http_ports_refuse_requests_without_a_signed_token(seaweed) -> None:  # noqa: ANN001
    uscc = make_uscc(61)
    stack.add_institution(seaweed, uscc)
    filer, volume = seaweed.filer, seaweed.volume
    for method, url in [("GET", f"http://{filer}/etc/iam/identities/institution-{uscc}.json"),
                        ("GET", f"http://{filer}/etc/iam/identity.json"),
                        ("GET", f"http://{filer}/buckets/{seaweed.bucket}/inbox/?pretty=y"),
                        ("PUT", f"http://{filer}/buckets/{seaweed.bucket}/reference/pensioners/forged.csv"),
                        ("GET", f"http://{volume}/1,01")]:
        assert status_of(method, url) == 401, url


def as_outsider(args: list[str], cwd: Path, stdin: str = "") -> str:
    """What a `weed` client without the stack's certificate prints (it keeps retrying: cut off after 20 s)."""
    try:
        done = subprocess.run([stack.weed_binary(), *args], cwd=cwd, input=stdin, capture_output=True, text=True,
                              timeout=20)
        return done.stdout + done.stderr
    except subprocess.TimeoutExpired as cut:
        return "".join(x.decode() if isinstance(x, bytes) else (x or "") for x in (cut.stdout, cut.stderr))


def test_the_grpc_ports_refuse_a_client_without_the_stacks_certificate(seaweed, tmp_path: Path) -> None:  # noqa: ANN001
    uscc = make_uscc(62)
    _, secret = stack.add_institution(seaweed, uscc)
    shell = as_outsider(["shell", f"-master={seaweed.master}"], tmp_path,
                        f"fs.cat /etc/iam/identities/institution-{uscc}.json\n"
                        f"fs.meta.cat /etc/iam/identities/institution-{uscc}.json\n")
    tail = as_outsider(["filer.meta.tail", f"-filer={seaweed.filer}", "-timeAgo=1h", "-pathPrefix=/etc/"], tmp_path)
    for seen in (shell, tail):
        assert secret not in seen and "content" not in seen
    assert "error" in tail
    assert uscc in tenants.shell(seaweed, "fs.ls /etc/iam/identities")  # the stack's own tools still get in


def test_the_store_keeps_its_keys_and_data_private(seaweed) -> None:  # noqa: ANN001
    weed_dir = Path(seaweed.data_dir)
    assert stat.S_IMODE(weed_dir.stat().st_mode) == 0o700
    for name in ("security.toml", "s3.json", "tls/node.key", "tls/node.crt"):
        assert stat.S_IMODE((weed_dir / name).stat().st_mode) == 0o600, name
    assert not (weed_dir / "tls" / "ca.key").exists()  # no one can sign another certificate
