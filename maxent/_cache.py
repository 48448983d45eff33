"""Where maxent keeps results that are expensive to recompute (exact Ising spectra).

``$MAXENT_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/maxent``, else ``~/.cache/maxent``.
Writes are atomic (a temporary file renamed into place) and best effort: a read-only
cache only costs time.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir", "write_atomic"]


def cache_dir() -> Path:
    """The directory of maxent's on-disk cache (it may not exist yet)."""
    env = os.environ.get("MAXENT_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "maxent"


def write_atomic(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` through a temporary file; False if that failed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="ascii")
        os.replace(tmp, path)
    except OSError:
        return False
    return True
