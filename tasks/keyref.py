"""Object keys as people see them: an ID or phone number in a key is masked wherever the key is shown
(flow-run parameters, artifacts, logs), and a masked key is resolved back to the object it names
(issue 13, point 7). A key without personal data is its own masked form."""

from __future__ import annotations

from infra.bootstrap import Services
from infra.logmask import mask_text


def shown(key: str) -> str:
    return mask_text(key)


def resolve(svc: Services, key: str) -> str:
    """The object a (possibly masked) key names: the one in its folder whose masked key is `key` —
    the most recent when several match, `key` itself when none does (it is then reported missing)."""
    if "*" not in key or svc.store.head(key) is not None:
        return key
    folder = key.rsplit("/", 1)[0] + "/"
    matches = [o for o in svc.store.list(folder) if shown(o.key) == key]
    return max(matches, key=lambda o: o.last_modified).key if matches else key


def markdown(text: str) -> str:
    """Text safe to put in Markdown: no emphasis, links, code, tables or HTML from an uploader's key."""
    out = text.replace("\\", "\\\\").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for ch in "`*_[]()#!|~":  # "-" and "+" only mean something at a line's start, where a key never is
        out = out.replace(ch, "\\" + ch)
    return out
