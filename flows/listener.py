"""The upload listener: SeaweedFS filer metadata events → a `process-upload` task run on a warm worker.

Push path of spec/lifecycle.md ("Upload-triggered"). Each new object under inbox/ or reference/
is submitted with `process_landed.delay(key)` to the upload workers (flows/upload_worker.py), which
have everything imported; objects already processed are not submitted again, our own database
makes processing exactly-once, and the inbox-watcher deployment picks up whatever this listener
missed (notes/traps.md).
"""

from __future__ import annotations

import json
import logging
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import IO

from infra.stack import weed_binary
from schemas.layout import is_upload_key

log = logging.getLogger("skillsub.listener")
LOOKBACK = "1h"


def events(stream: IO[str]) -> Iterator[dict]:
    """`weed filer.meta.tail` prints one pretty-printed JSON object per event."""
    decoder = json.JSONDecoder()
    buffer = ""
    for line in stream:
        buffer += line
        while buffer.strip():
            try:
                obj, end = decoder.raw_decode(buffer.lstrip())
            except json.JSONDecodeError:
                break
            buffer = buffer.lstrip()[end:]
            yield obj


def new_object_key(event: dict, bucket: str) -> str | None:
    """The object key of a created or overwritten file, or None for folders, deletes and other buckets."""
    new = (event.get("eventNotification") or {}).get("newEntry")
    if not new or new.get("isDirectory"):
        return None
    prefix = f"/buckets/{bucket}/"
    path = f"{event.get('directory', '').rstrip('/')}/{new.get('name', '')}"
    if not path.startswith(prefix):
        return None
    key = path[len(prefix):]
    return key if is_upload_key(key) else None


def start_run(keys: list[str]) -> list[str]:
    """Submit the objects to the warm upload workers, all in one task run, leaving out those processed
    already (replayed events); returns what was submitted."""
    from tasks.keyref import shown
    from tasks.pending import is_final
    from tasks.prefect import process_landed, services

    fresh = [k for k in dict.fromkeys(keys) if not is_final(services(), k)]
    if fresh:  # Prefect stores and shows parameters: the worker resolves the masked keys
        process_landed.delay([shown(k) for k in fresh])
    return fresh


def bursts(keys: Iterator[str | None], limit: int) -> Iterator[list[str]]:
    """Group landed keys into bursts: a group ends when no key came for a while (a None from the
    reader) or when it holds `limit` keys; one upload alone waits only that quiet time."""
    group: list[str] = []
    for key in keys:
        if key is not None:
            group.append(key)
        if group and (key is None or len(group) >= limit):
            yield group
            group = []
    if group:
        yield group


def _landed(stream: IO[str], bucket: str, quiet: float) -> Iterator[str | None]:
    """Keys of new objects as they land, and None after each `quiet` seconds without one."""
    found: queue.Queue = queue.Queue()

    def read() -> None:
        for event in events(stream):
            key = new_object_key(event, bucket)
            if key is not None:
                found.put(key)
        found.put(StopIteration)

    threading.Thread(target=read, daemon=True).start()
    while True:
        try:
            item = found.get(timeout=quiet)
        except queue.Empty:
            yield None
            continue
        if item is StopIteration:
            return
        yield item


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s listener %(message)s")
    log.setLevel(logging.INFO)
    from tasks.prefect import services

    settings = services().settings  # the composition root: masking installed, store and database wired
    services().engine.connect().close()  # the database pool is open before the first upload
    state = settings.stack_state() or {}
    filer = state["filer"]
    ready = settings.data_dir / "prefect" / "listener.ready"
    while True:  # weed may restart; the watcher covers the gap
        # Replay a lookback window on every (re)start: objects that landed while we were starting
        # are not lost, and replays cost nothing (the idempotency key and our database dedupe).
        proc = subprocess.Popen([weed_binary(), "filer.meta.tail", f"-filer={filer}", f"-timeAgo={LOOKBACK}",
                                 f"-pathPrefix=/buckets/{settings.bucket}/"], stdout=subprocess.PIPE, text=True,
                                cwd=state["data_dir"])  # its security.toml: the gRPC certificate the filer demands
        assert proc.stdout is not None
        ready.touch()
        landed = _landed(proc.stdout, settings.bucket, settings.listener_quiet_ms / 1000)
        for group in bursts(landed, settings.batch_max_uploads):
            try:
                submitted = start_run(group)  # acknowledged only once this returns
                if submitted:
                    log.info("submitted %d object(s), first %s", len(submitted), submitted[0])
            except Exception:  # the watcher will find them; never let one burst stop the listener
                log.exception("could not start a run for %d object(s)", len(group))
        proc.wait()
        time.sleep(2)


if __name__ == "__main__":
    sys.exit(main())
