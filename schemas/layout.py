"""Object-storage layout (spec/uploads.md, "Layout"): what a key means, where answers go."""

from __future__ import annotations

import re
from dataclasses import dataclass

from schemas.codes import REFERENCE_DATASETS, UPLOAD_KINDS

_USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")


@dataclass(frozen=True)
class Route:
    area: str  # inbox | reference
    kind: str  # upload kind or reference dataset
    name: str  # file name without its extension
    uscc: str | None = None

    @property
    def order(self) -> tuple[int, str, int]:
        """Reference first (in dataset order), then per institution in stage order."""
        if self.area == "reference":
            return (0, "", REFERENCE_DATASETS.index(self.kind))
        return (1, self.uscc or "", UPLOAD_KINDS.index(self.kind))


class BadKey(ValueError):
    """A key under inbox/ or reference/ that does not follow the layout."""


def route(key: str) -> Route:
    parts = key.split("/")
    base = parts[-1]
    name = base.rsplit(".", 1)[0] if "." in base else base
    if parts[0] == "inbox" and len(parts) == 4:
        _, uscc, kind, _ = parts
        if not _USCC.match(uscc):
            raise BadKey(f"{uscc!r} is not a credit code")
        if kind not in UPLOAD_KINDS:
            raise BadKey(f"{kind!r} is not an upload kind ({', '.join(UPLOAD_KINDS)})")
        return Route("inbox", kind, name, uscc)
    if parts[0] == "reference" and len(parts) == 3:
        if parts[1] not in REFERENCE_DATASETS:
            raise BadKey(f"{parts[1]!r} is not a reference dataset")
        return Route("reference", parts[1], name)
    raise BadKey("expected inbox/<uscc>/<kind>/<name>.csv|xlsx or reference/<dataset>/<name>.csv|xlsx")


def outbox_prefix(r: Route) -> str:
    if r.area == "reference":
        return f"outbox/reference/{r.kind}/{r.name}"
    return f"outbox/{r.uscc}/{r.kind}/{r.name}"


def is_upload_key(key: str) -> bool:
    return key.startswith(("inbox/", "reference/")) and not key.endswith("/")
