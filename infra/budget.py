"""A budget per upload (issue 13): the read and parse of one file run in a child process with an address-space
limit (RLIMIT_AS), a CPU limit and a deadline, so a hostile file costs at most its budget and the worker lives on.

The child is a fresh interpreter running only the parser: its limit is its own memory, not the worker's
pools and threads a fork would inherit.
"""

from __future__ import annotations

import os
import pickle
import resource
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from schemas.files import Table, XlsxLimits, is_xlsx, read_table

if TYPE_CHECKING:  # the child imports this module: it stays light
    from infra.settings import Settings

MiB = 1024 * 1024


class OverBudget(Exception):
    """The read of one upload went over its memory or time budget; nothing of it is loaded."""

    def __init__(self, what: str, limit: str, peak_bytes: int | None = None) -> None:
        self.what, self.limit, self.peak_bytes = what, limit, peak_bytes
        super().__init__(self.reason)

    @property
    def reason(self) -> str:
        zh = {"memory": "内存", "time": "时间"}[self.what]
        return f"超出单个上传的处理预算（{zh} {self.limit}）/ over the per-upload budget ({self.what} {self.limit})"


@dataclass(frozen=True)
class Bounded:
    value: Any
    peak_bytes: int  # the child's peak resident set (getrusage of the child itself)


def run_bounded(fn: Callable[..., Any], args: tuple, kwargs: dict[str, Any], *, memory_bytes: int,
                seconds: float) -> Bounded:
    """fn(*args, **kwargs) in a child limited to `memory_bytes` of address space and `seconds`; its own
    exceptions are raised here, a breach of either limit raises OverBudget. The child is a fresh interpreter
    (python -m infra.budget), not a fork: its limit measures its own memory, not the worker's pools and threads."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    child = subprocess.Popen([sys.executable, "-m", "infra.budget"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             env=env)
    try:
        out, _ = child.communicate(pickle.dumps((fn, args, kwargs, memory_bytes, seconds)), timeout=seconds)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise OverBudget("time", f"{seconds:g} s") from None
    if not out:  # killed before it could answer: by its CPU limit, else for memory
        if child.returncode == -signal.SIGXCPU:
            raise OverBudget("time", f"{seconds:g} s")
        raise OverBudget("memory", f"{memory_bytes // MiB} MiB")
    status, payload, peak = pickle.loads(out)  # noqa: S301 - our own child's answer
    if status == "ok":
        return Bounded(payload, peak)
    if status == "memory":
        raise OverBudget("memory", f"{memory_bytes // MiB} MiB", peak)
    raise payload


def _child() -> None:
    fn, args, kwargs, memory_bytes, seconds = pickle.loads(sys.stdin.buffer.read())  # noqa: S301 - from our parent
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    cpu = int(seconds) + 2  # the parent's deadline decides; this only stops a child the parent lost
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    try:
        result: tuple[str, Any] = ("ok", fn(*args, **kwargs))
    except MemoryError:
        result = ("memory", None)
    except Exception as exc:  # the function's own refusal (Unreadable, TooLarge), raised again in the parent
        result = ("error", exc)
    peak = _peak_rss()
    try:
        answer = pickle.dumps((*result, peak))
    except MemoryError:
        answer = pickle.dumps(("memory", None, peak))
    sys.stdout.buffer.write(answer)
    sys.stdout.buffer.flush()


def _peak_rss() -> int:
    """This interpreter's peak resident set: VmHWM (Linux keeps getrusage's ru_maxrss across exec, so it
    would report the parent's peak), else ru_maxrss."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def xlsx_limits(settings: Settings) -> XlsxLimits:
    return XlsxLimits(uncompressed_bytes=settings.max_xlsx_uncompressed_bytes,
                      shared_strings=settings.max_xlsx_shared_strings, columns=settings.max_xlsx_columns,
                      row_number=settings.max_xlsx_row_number, cells=settings.max_xlsx_cells)


def read_upload(settings: Settings, data: bytes) -> Table:
    """An upload's table. An XLSX (the format that can expand) is checked and parsed in a budgeted child;
    a CSV is read here, its cost bounded by the file size limit."""
    if not is_xlsx(data):
        return read_table(data, max_rows=settings.max_rows)
    return run_bounded(read_table, (data,), {"max_rows": settings.max_rows, "limits": xlsx_limits(settings)},
                       memory_bytes=settings.upload_memory_bytes, seconds=settings.upload_seconds).value


if __name__ == "__main__":
    _child()
