"""The embedded orchestration: a Prefect server on loopback, our deployments (prefect.yaml),
a process worker and the upload listener — all started by `skillsub stack up`, no Docker.

The scheduler only runs with a real server (notes/traps.md), so this is what makes the
nightly schedule and upload triggers really happen on one machine.

Closed by default (issue 13): the server demands the stack's auth string (basic auth), CSRF
tokens for browser-style writes and answers CORS only for its own UI; every client we start
(deploy, worker, listener, flow runs) gets the auth string in its environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from infra.stack import PRIVATE_UMASK, StackError, free_ports, pid_alive

ROOT = Path(__file__).resolve().parent.parent  # the checkout holding prefect.yaml
POOL = "skillsub"


def environment(data_dir: Path, api_url: str | None = None, auth_string: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "PREFECT_HOME": str((data_dir / "prefect").resolve()),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "SKILLSUB_DATA_DIR": str(data_dir.resolve()),
        "SKILLSUB_HOME": str(ROOT),
        "PYTHONPATH": str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""),
    })
    if api_url:
        env["PREFECT_API_URL"] = api_url
    if auth_string:
        env["PREFECT_API_AUTH_STRING"] = auth_string
    return env


def server_environment(data_dir: Path, port: int, auth_string: str) -> dict[str, str]:
    env = environment(data_dir, auth_string=auth_string)
    env.update({
        "PREFECT_SERVER_API_AUTH_STRING": auth_string,
        "PREFECT_SERVER_API_CSRF_PROTECTION_ENABLED": "true",
        "PREFECT_SERVER_API_CORS_ALLOWED_ORIGINS": f"http://127.0.0.1:{port}",  # the UI's own origin only
    })
    return env


def _prefect() -> str:
    return str(Path(sys.executable).parent / "prefect")


def _spawn(cmd: list[str], env: dict[str, str], log: Path) -> int:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        # umask 077: the Prefect database (flow-run parameters), logs and results stay private
        return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, cwd=ROOT, umask=PRIVATE_UMASK).pid


def start_server(data_dir: Path, auth_string: str, timeout: float = 90, *,
                 database_url: str | None = None) -> tuple[int, str, str]:
    """`prefect server start` on a free loopback port (SQLite under the data dir unless `database_url`
    (SKILLSUB_PREFECT_DATABASE_URL) or PREFECT_API_DATABASE_CONNECTION_URL names PostgreSQL), closed by
    `auth_string`; returns pid, API URL, UI URL."""
    (port,) = free_ports(1)
    env = server_environment(data_dir, port, auth_string)
    if database_url:
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = prefect_database_url(database_url)
    pid = _spawn([_prefect(), "server", "start", "--host", "127.0.0.1", "--port", str(port)], env,
                 data_dir / "prefect" / "server.log")
    api = f"http://127.0.0.1:{port}/api"
    _wait_http(pid, f"{api}/health", timeout, f"the Prefect server exited; see {data_dir / 'prefect' / 'server.log'}",
               f"the Prefect server did not answer within {timeout:.0f}s", pause=0.5)
    return pid, api, f"http://127.0.0.1:{port}"


def _wait_http(pid: int, url: str, timeout: float, exited: str, silent: str, pause: float) -> None:
    """Until `url` answers 200 on loopback; StackError with `exited` if the process died, `silent` at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            raise StackError(exited)
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 - loopback only
                if r.status == 200:
                    return
        except OSError:
            time.sleep(pause)
    raise StackError(silent)


def prefect_database_url(url: str) -> str:
    """The Prefect server's database URL: PostgreSQL through asyncpg (the driver Prefect's server uses)."""
    for prefix in ("postgresql+psycopg://", "postgresql+asyncpg://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    return url


def deploy(data_dir: Path, api_url: str, auth_string: str) -> None:
    """The work pool, then every deployment of prefect.yaml."""
    env = environment(data_dir, api_url, auth_string)
    subprocess.run([_prefect(), "work-pool", "create", POOL, "--type", "process", "--overwrite"], env=env, cwd=ROOT,
                   check=True, capture_output=True, timeout=120)
    done = subprocess.run([_prefect(), "--no-prompt", "deploy", "--all"], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    if done.returncode != 0:
        raise StackError(f"prefect deploy failed: {done.stdout[-800:]} {done.stderr[-800:]}")


def start_worker(data_dir: Path, api_url: str, auth_string: str) -> int:
    return _spawn([_prefect(), "worker", "start", "--pool", POOL, "--type", "process"],
                  environment(data_dir, api_url, auth_string), data_dir / "prefect" / "worker.log")


def start_upload_worker(data_dir: Path, api_url: str, auth_string: str, timeout: float = 180) -> int:
    """Start the warm Prefect task worker that processes landed objects (flows/upload_worker.py) and
    wait until it has warmed up, so the first upload is answered as fast as the next."""
    ready = data_dir / "prefect" / "upload-worker.ready"
    ready.unlink(missing_ok=True)
    env = {**environment(data_dir, api_url, auth_string), "SKILLSUB_READY_FILE": str(ready)}
    pid = _spawn([sys.executable, "-m", "flows.upload_worker"], env, data_dir / "prefect" / "upload-worker.log")
    _wait_ready(pid, ready, timeout, "upload worker", data_dir / "prefect" / "upload-worker.log")
    return pid


def _wait_ready(pid: int, ready: Path, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not ready.exists():
        if not pid_alive(pid) or time.monotonic() > deadline:
            raise StackError(f"the {what} did not start; see {log}")
        time.sleep(0.2)


def start_listener(data_dir: Path, api_url: str, auth_string: str, timeout: float = 60) -> int:
    """Start the upload listener and wait until it follows the filer's events."""
    ready = data_dir / "prefect" / "listener.ready"
    ready.unlink(missing_ok=True)
    log = data_dir / "prefect" / "listener.log"
    pid = _spawn([sys.executable, "-m", "flows.listener"], environment(data_dir, api_url, auth_string), log)
    _wait_ready(pid, ready, timeout, "upload listener", log)
    return pid


def start_console(data_dir: Path, port: int, api_url: str | None, auth_string: str | None,
                  timeout: float = 60) -> tuple[int, str]:
    """Start the department's console (`skillsub console`) on loopback and wait until its login page
    answers; returns pid and URL."""
    url = f"http://127.0.0.1:{port}"
    log = data_dir / "console.log"
    pid = _spawn([sys.executable, "-m", "flows.console", "--host", "127.0.0.1", "--port", str(port)],
                 environment(data_dir, api_url, auth_string), log)
    _wait_http(pid, f"{url}/login", timeout, f"the console exited (port {port} taken? SKILLSUB_CONSOLE_PORT); see {log}",
               f"the console did not answer within {timeout:.0f}s; see {log}", pause=0.3)
    return pid, url
