"""The upload listener: SeaweedFS filer metadata events → a durable `process-upload` flow run.

Push path of spec/lifecycle.md ("Upload-triggered"). Each new object under inbox/ or reference/
starts `run_deployment(..., idempotency_key=bucket/key@etag)`: the Prefect database deduplicates
a notification delivered twice, our own database makes processing exactly-once, and the
inbox-watcher deployment picks up whatever this listener missed (notes/traps.md).
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
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


def start_run(bucket: str, key: str, etag: str) -> None:
    from prefect.deployments import run_deployment

    from infra.logmask import mask_text

    # Prefect stores and shows parameters and idempotency keys: the flow resolves the masked key
    run_deployment("process-upload/process-upload", parameters={"key": mask_text(key)}, timeout=0,
                   idempotency_key=f"{bucket}/{mask_text(key)}@{etag}")


def main() -> None:
    from infra import logmask
    from infra.bootstrap import make_store
    from infra.settings import load_settings

    logmask.install()  # object keys may hold an ID or a phone number: masked in every record
    logging.basicConfig(level=logging.INFO, format="%(asctime)s listener %(message)s")

    settings = load_settings()
    state = settings.stack_state() or {}
    filer = state["filer"]
    store = make_store(settings)
    ready = settings.data_dir / "prefect" / "listener.ready"
    while True:  # weed may restart; the watcher covers the gap
        # Replay a lookback window on every (re)start: objects that landed while we were starting
        # are not lost, and replays cost nothing (the idempotency key and our database dedupe).
        proc = subprocess.Popen([weed_binary(), "filer.meta.tail", f"-filer={filer}", f"-timeAgo={LOOKBACK}",
                                 f"-pathPrefix=/buckets/{settings.bucket}/"], stdout=subprocess.PIPE, text=True,
                                cwd=state["data_dir"])  # its security.toml: the gRPC certificate the filer demands
        assert proc.stdout is not None
        ready.touch()
        for event in events(proc.stdout):
            key = new_object_key(event, settings.bucket)
            if key is None:
                continue
            try:
                info = store.head(key)
                if info is not None:
                    start_run(settings.bucket, key, info.etag)  # acknowledged only once this returns
                    log.info("started process-upload for %s@%s", key, info.etag)
            except Exception:  # the watcher will find it; never let one event stop the listener
                log.exception("could not start a run for %s", key)
        proc.wait()
        time.sleep(2)


if __name__ == "__main__":
    sys.exit(main())
