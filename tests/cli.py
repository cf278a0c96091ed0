"""`skillsub` called in this process, for tests of what a command does rather than of the process around it.

A real `skillsub` process costs seconds before it does anything (Python, Prefect, GX, and for a flow command
Prefect's own ephemeral API server); the tests of the commands' behaviour call the same typer app through
typer's CliRunner instead, with the same arguments, environment, standard input, exit code, stdout and
stderr. The entry point itself stays covered by true subprocess tests (tests/integration/test_cli.py: bad
settings, the stack's up/status/down, the date-help, and one nightly run on SQLite; the e2e stack tests).

Flow commands (nightly, credit recompute) need a Prefect API here: the caller asks for `prefect_harness`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

_APP = None


def _app():  # noqa: ANN202
    """flows.cli, imported once with its process-wide side effects undone: it sets the umask to 0o077
    and PREFECT_HOME for a real `skillsub` process, which must not leak into the other tests (a test of
    a file's mode would pass whatever the code did)."""
    global _APP
    if _APP is None:
        environ, umask = dict(os.environ), os.umask(0o022)
        os.umask(umask)
        try:
            from flows import cli
        finally:
            os.umask(umask)
            os.environ.clear()
            os.environ.update(environ)
        _APP = cli.app
    return _APP


@dataclass
class Ran:
    """What subprocess.run gives, for the fields the tests read."""

    returncode: int
    stdout: str
    stderr: str


def skillsub_here(env: dict[str, str], *args: str, stdin: str = "") -> Ran:
    """`skillsub ARGS` in this process with `env` over os.environ; the wiring a command leaves behind
    (tasks.prefect.use) is undone after it, as a process's would end with it."""
    from typer.testing import CliRunner

    from tasks import prefect as ptasks

    umask = os.umask(0o077)  # what the real process runs under (flows/cli.py)
    try:
        result = CliRunner().invoke(_app(), list(args), env=env, input=stdin, catch_exceptions=True)
    finally:
        os.umask(umask)
        ptasks.use(None)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback in a real process: fail with it here
    return Ran(result.exit_code, result.stdout, result.stderr)


def skillsub_process(env: dict[str, str], *args: str, stdin: str = "", timeout: int = 300) -> subprocess.CompletedProcess:
    """`skillsub ARGS` as a real process (`python -m flows.cli`), `env` over os.environ."""
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], env={**os.environ, **env}, input=stdin,
                          capture_output=True, text=True, timeout=timeout)
