"""A budget per upload (issue 13): the read and parse of one file run in a child process with an address-space
limit (RLIMIT_AS), a CPU limit and a deadline, so a hostile file costs at most its budget and the worker lives on.

The child is forked from a small forker: a fresh interpreter (python -m infra.budget <socket fd>) started once
per worker, single-threaded, that has imported the readers and nothing else. So the child's limit measures its
own memory, not the worker's pools and threads a fork of the worker would inherit, and a file no longer pays
for a new interpreter and its imports (~0.45 CPU-s an XLSX, issue 10).
"""

from __future__ import annotations

import atexit
import os
import pickle
import resource
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from schemas.files import Table, XlsxLimits, is_xlsx, read_table

if TYPE_CHECKING:  # the forker imports this module: it stays light
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
    exceptions are raised here, a breach of either limit raises OverBudget. The child is forked from the
    forker (see the module docstring), never from this process."""
    payload = pickle.dumps((fn, args, kwargs, memory_bytes, seconds))
    with _lock:  # one child at a time per worker process: the forker serves calls in turn
        global _forker
        forker = start_forker()
        try:
            out, code = forker.call(payload, seconds)
        except _ForkerLost:
            forker.close()
            _forker = None
            raise
    if out is None:
        raise OverBudget("time", f"{seconds:g} s")
    if not out:  # killed before it could answer: by its CPU limit, else for memory
        if code == -signal.SIGXCPU:
            raise OverBudget("time", f"{seconds:g} s")
        raise OverBudget("memory", f"{memory_bytes // MiB} MiB")
    status, result, peak = pickle.loads(out)  # noqa: S301 - our own child's answer
    if status == "ok":
        return Bounded(result, peak)
    if status == "memory":
        raise OverBudget("memory", f"{memory_bytes // MiB} MiB", peak)
    raise result


class _ForkerLost(RuntimeError):
    """The forker died or stopped answering; the next call starts a new one."""


class _Forker:
    """The worker's side of the forker: a socket to pass each call's two pipes (request in, answer out) to it;
    it answers the child's pid, and its exit code once told the answer has been read (until then the child
    stays unreaped, so a kill at the deadline can only reach that child)."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        self.proc = subprocess.Popen([sys.executable, "-m", "infra.budget", str(theirs.fileno())],
                                     pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, env=env)
        theirs.close()
        ours.settimeout(120)  # the forker answers at once; a loaded machine may delay its first start
        self.sock, self.lines, self.owner = ours, ours.makefile("rb"), os.getpid()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        self.lines.close()
        self.sock.close()  # the forker exits when its socket closes
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def _answer(self) -> int:
        try:
            line = self.lines.readline()
        except OSError as exc:
            raise _ForkerLost(f"the XLSX forker stopped answering: {exc}") from None
        if not line:
            raise _ForkerLost("the XLSX forker is gone")
        return int(line)

    def call(self, payload: bytes, seconds: float) -> tuple[bytes | None, int]:
        """(the child's answer, or None past the deadline; the child's exit code, negative for a signal)."""
        req_r, req_w = os.pipe()
        res_r, res_w = os.pipe()
        try:
            try:
                socket.send_fds(self.sock, [b"F"], [req_r, res_w])
            except OSError as exc:
                raise _ForkerLost(f"the XLSX forker is gone: {exc}") from None
        finally:
            os.close(req_r)
            os.close(res_w)
        try:
            pid = self._answer()
            deadline = time.monotonic() + seconds
            writer = threading.Thread(target=_write_all, args=(req_w, payload), daemon=True)
            writer.start()  # a thread, so the deadline holds while a child does not read its request
            out = _read_until(res_r, deadline)
            if out is None:
                os.kill(pid, signal.SIGKILL)  # running or a zombie: the forker reaps it only after "R"
            writer.join()
            self.sock.sendall(b"R")
            return out, self._answer()
        finally:
            os.close(res_r)


def _write_all(fd: int, data: bytes) -> None:
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except OSError:  # the child died before reading all of it: its exit code says why
        pass
    finally:
        os.close(fd)


def _read_until(fd: int, deadline: float) -> bytes | None:
    """Everything written to fd until its writer closes it; None once the deadline passes."""
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


_lock = threading.RLock()
_forker: _Forker | None = None


def start_forker() -> _Forker:
    """The forker of this process, started now if it is not running (the warm worker starts it at once)."""
    global _forker
    with _lock:
        if _forker is None or _forker.owner != os.getpid() or not _forker.alive():  # a fork of the worker starts its own
            _forker = _Forker()
        return _forker


@atexit.register
def _stop_forker() -> None:
    if _forker is not None and _forker.owner == os.getpid():
        _forker.close()


def _serve(fd: int) -> None:
    """The forker: import the readers once, then fork one child per call and report its pid and exit code."""
    import openpyxl  # noqa: F401 - what an XLSX child uses, loaded before the fork

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the worker, which closes our socket
    sock = socket.socket(fileno=fd)
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(sock, 16, 2)
        except OSError:
            return
        if not msg:  # the worker is gone
            return
        req_r, res_w = fds
        pid = os.fork()
        if pid == 0:
            try:
                sock.close()
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                _child(req_r, res_w)
            except BaseException:  # no answer: the worker reads the exit code; the log says why
                import traceback

                traceback.print_exc()
            finally:
                os._exit(0)
        os.close(req_r)
        os.close(res_w)
        try:
            sock.sendall(f"{pid}\n".encode())
            told = sock.recv(1)
        except OSError:
            told = b""
        if told != b"R":  # the worker is gone: so is its child's use
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        if told != b"R":
            return
        sock.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())


def _child(req_r: int, res_w: int) -> None:
    with os.fdopen(req_r, "rb") as request:
        fn, args, kwargs, memory_bytes, seconds = pickle.loads(request.read())  # noqa: S301 - from our worker
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
    with os.fdopen(res_w, "wb") as out:
        out.write(answer)


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
    _serve(int(sys.argv[1]))
