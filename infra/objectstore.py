"""Object store adapter: boto3 against any S3 endpoint, and an in-memory fake for tests."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    etag: str
    size: int
    last_modified: datetime


class ObjectStore(Protocol):
    bucket: str

    def list(self, prefix: str) -> list[ObjectInfo]: ...
    def head(self, key: str) -> ObjectInfo | None: ...
    def get(self, key: str, limit: int | None = None) -> bytes: ...
    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None: ...
    def copy(self, source: str, target: str) -> None: ...


class S3Store:
    """boto3 client with standard retries (backoff) so a store hiccup is retried, not fatal."""

    def __init__(self, bucket: str, endpoint_url: str | None, *, access_key: str | None = None,
                 secret_key: str | None = None, retries: int = 5, region: str = "us-east-1") -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            region_name=region,
            config=Config(
                retries={"max_attempts": retries + 1, "mode": "standard"},
                connect_timeout=5,
                read_timeout=60,
                s3={"addressing_style": "path"},
            ),
        )

    def list(self, prefix: str) -> list[ObjectInfo]:
        out: list[ObjectInfo] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for o in page.get("Contents", []):
                out.append(ObjectInfo(o["Key"], o["ETag"].strip('"'), o["Size"], o["LastModified"]))
        return out

    def head(self, key: str) -> ObjectInfo | None:
        from botocore.exceptions import ClientError

        try:
            h = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return ObjectInfo(key, h["ETag"].strip('"'), h["ContentLength"], h["LastModified"])

    def get(self, key: str, limit: int | None = None) -> bytes:
        """The object's bytes; with `limit`, at most that many (a Range request: a larger object is never read whole)."""
        extra = {"Range": f"bytes=0-{limit - 1}"} if limit else {}
        return self.client.get_object(Bucket=self.bucket, Key=key, **extra)["Body"].read()

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def copy(self, source: str, target: str) -> None:
        """Server-side copy (CopyObject): the bytes never pass through this process, however large."""
        self.client.copy_object(Bucket=self.bucket, Key=target, CopySource={"Bucket": self.bucket, "Key": source})

    def ensure_bucket(self) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket)


class MemoryStore:
    """A fake store for unit tests: same interface, a dict behind it."""

    def __init__(self, bucket: str = "skillsub") -> None:
        import hashlib

        self._md5 = hashlib.md5
        self.bucket = bucket
        self.objects: dict[str, tuple[bytes, datetime]] = {}

    def list(self, prefix: str) -> list[ObjectInfo]:
        return [self._info(k) for k in sorted(self.objects) if k.startswith(prefix)]

    def head(self, key: str) -> ObjectInfo | None:
        return self._info(key) if key in self.objects else None

    def get(self, key: str, limit: int | None = None) -> bytes:
        return self.objects[key][0][:limit] if limit else self.objects[key][0]

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self.objects[key] = (data, datetime.now(UTC))

    def copy(self, source: str, target: str) -> None:
        self.objects[target] = (self.objects[source][0], datetime.now(UTC))

    def _info(self, key: str) -> ObjectInfo:
        data, at = self.objects[key]
        return ObjectInfo(key, self._md5(data).hexdigest(), len(data), at)


# A few threads for the store's round trips (issue 10): a PUT or GET mostly waits on the network, and boto3
# clients are thread-safe, so the answer's two files, a HEAD per object and the archive copy overlap with each
# other and with parsing instead of queueing. Small: the store is one service, and so is this machine.
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def background() -> ThreadPoolExecutor:
    """The process's store thread pool (created on first use; threads exit with the process)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="store")
        return _pool


def put_all(store: ObjectStore, items: list[tuple[str, bytes, str]]) -> None:
    """PUT every (key, bytes, content type) side by side; returns when all landed, raising the first failure
    (after every PUT has finished, so none is still running when the caller records what it wrote)."""
    if len(items) < 2:
        for key, data, content_type in items:
            store.put(key, data, content_type)
        return
    futures = [background().submit(store.put, key, data, content_type) for key, data, content_type in items]
    wait(futures)
    for f in futures:
        f.result()


def head_all(store: ObjectStore, keys: list[str]) -> list[ObjectInfo | None]:
    """HEAD every key side by side, in the given order."""
    if len(keys) < 2:
        return [store.head(k) for k in keys]
    return list(background().map(store.head, keys))
