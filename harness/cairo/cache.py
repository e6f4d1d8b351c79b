"""A content-addressed, size-bounded disk cache of compile verdicts.

The key hashes everything that decides a verdict: code, tests, kind, dependencies, backend
and its version, and the source of this compile layer itself. Entries are small JSON files
written atomically (temp file + rename), so pytest-xdist workers can share one cache; a lock
makes a second worker that asks for the same input wait for the first one's verdict instead
of compiling it again.
Harness faults (timeouts, crashes) are never cached: they say nothing about the code.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock

from ._types import CompileRequest, CompileResult


def _logic_hash() -> str:
    """A verdict depends on this layer's own code too: any change to it starts a fresh cache."""
    h = hashlib.sha256()
    here = Path(__file__).parent
    for path in sorted([*here.glob("*.py"), *here.glob("*.mjs"), here.parent / "cairotext.py"]):
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


LOGIC = _logic_hash()


def cache_key(req: CompileRequest, backend: str, version: str) -> str:
    parts: list[object] = [LOGIC, backend, version, req.kind, req.code, req.tests, sorted(req.dependencies)]
    if req.test_runner is not None:  # only then, so that the keys of every other request stay put
        parts.append(req.test_runner)
    payload = json.dumps(parts, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


class CompileCache:
    """Args:
    root: the cache folder.
    max_bytes: once the entries pass this size, the least recently used are deleted.
    """

    def __init__(self, root: Path, max_bytes: int = 256 * 1024**2) -> None:
        self.root = root
        self.max_bytes = max_bytes
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> CompileResult | None:
        path = self._path(key)
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        os.utime(path)  # recently used: survives eviction longer
        result = CompileResult.from_dict(data)
        return CompileResult(**{**result.__dict__, "cached": True})

    def put(self, key: str, result: CompileResult) -> None:
        if result.fault:
            return
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump(result.to_dict(), f)
        os.replace(tmp, path)
        self._evict()

    def get_or_compute(
        self,
        key: str,
        compute: Callable[[], CompileResult],
        valid: Callable[[CompileResult], bool] = lambda hit: True,
    ) -> CompileResult:
        """The cached verdict when there is one that `valid` accepts, else `compute`'s (stored
        unless a fault)."""
        hit = self.get(key)
        if hit is not None and valid(hit):
            return hit
        # 256 lock stripes: bounded files, never unlinked (unlinking a held lock is racy).
        locks = self.root / "locks"
        locks.mkdir(exist_ok=True)
        with FileLock(str(locks / f"{key[:2]}.lock")):
            hit = self.get(key)  # another process may have finished it while we waited
            if hit is not None and valid(hit):
                return hit
            result = compute()
            self.put(key, result)
        return result

    def _evict(self) -> None:
        entries = [(p.stat(), p) for p in self.root.glob("*/*.json")]
        total = sum(st.st_size for st, _ in entries)
        if total <= self.max_bytes:
            return
        for st, path in sorted(entries, key=lambda e: e[0].st_mtime):
            path.unlink(missing_ok=True)
            total -= st.st_size
            if total <= self.max_bytes * 0.8:
                break
