"""Where maxent keeps results that are expensive to recompute (exact Ising spectra).

``$MAXENT_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/maxent``, else ``~/.cache/maxent``.
An entry is keyed by what computed it and from what: its file name carries a digest of
the package version, the kind of result and the inputs, and its first line spells the
same key out (an entry whose key differs is ignored, so no version reads another's
results).  Writes go to a temporary file of their own, renamed into place: a reader never
sees half an entry, and processes or threads writing the same entry at once each leave a
complete one.  Caching is best effort: a read-only or full cache only costs time.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from ._version import __version__

__all__ = ["cache_dir", "read_entry", "write_entry"]


def cache_dir() -> Path:
    """The directory of maxent's on-disk cache (it may not exist yet)."""
    env = os.environ.get("MAXENT_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "maxent"


def _key(kind: str, inputs: dict[str, int | str]) -> str:
    return json.dumps({"maxent": __version__, "kind": kind, **inputs}, sort_keys=True)


def _entry_path(kind: str, inputs: dict[str, int | str]) -> Path:
    digest = hashlib.sha256(_key(kind, inputs).encode()).hexdigest()[:16]
    readable = "_".join(str(v) for v in inputs.values())
    return cache_dir() / f"{kind}_{readable}_{digest}.txt"


def read_entry(kind: str, inputs: dict[str, int | str]) -> str | None:
    """The text stored for ``kind`` and ``inputs`` by this version, or None."""
    try:
        text = _entry_path(kind, inputs).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return None
    first, _, body = text.partition("\n")
    return body if first == _key(kind, inputs) else None


def write_entry(kind: str, inputs: dict[str, int | str], body: str) -> bool:
    """Store ``body`` for ``kind`` and ``inputs`` atomically; False if that failed."""
    path = _entry_path(kind, inputs)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(_key(kind, inputs) + "\n" + body)
        os.replace(tmp, path)
    except OSError:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        return False
    return True
