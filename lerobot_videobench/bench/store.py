"""The results store: one SQLite file (WAL), one row per trial keyed by the trial's content hash.

Each finished trial is committed on its own, so a killed sweep loses at most the trials in flight and
a rerun skips what is stored; ``INSERT OR REPLACE`` on the key means two sweeps writing the same store
never duplicate a row. Per-frame quality arrays are kept as compressed ``.npz`` blobs for the viewer.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .trial import TrialResult

SCHEMA = """
CREATE TABLE IF NOT EXISTS trials (
    key TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    label TEXT NOT NULL,
    episode_key TEXT NOT NULL,
    source TEXT NOT NULL,
    vcodec TEXT,
    created_at REAL NOT NULL,
    sweep TEXT,
    summary TEXT NOT NULL,
    frames BLOB
);
CREATE INDEX IF NOT EXISTS trials_status ON trials(status);
CREATE INDEX IF NOT EXISTS trials_episode ON trials(episode_key);
"""


def _json_default(obj: Any) -> Any:
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def _pack_arrays(arrays: dict[str, np.ndarray]) -> bytes | None:
    if not arrays:
        return None
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def _unpack_arrays(blob: bytes | None) -> dict[str, np.ndarray]:
    if not blob:
        return {}
    with np.load(io.BytesIO(blob)) as data:
        return {k: data[k] for k in data.files}


class ResultStore:
    """SQLite store of trial results; safe for several processes writing at once (WAL + busy timeout)."""

    def __init__(self, path: str | os.PathLike, *, timeout_s: float = 60.0) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise ValueError(f"store={self.path} is a directory; give a file path such as results.sqlite")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._timeout = timeout_s
        with self._connect() as conn:
            self._enable_wal(conn)
            conn.executescript(SCHEMA)

    def _enable_wal(self, conn: sqlite3.Connection) -> None:
        """Switch the file to WAL (persistent, so once per store handle is enough).

        Changing the journal mode needs an exclusive lock and SQLite reports ``database is locked``
        at once, without calling the busy handler, when another process is creating the same store
        at that moment (two sweeps started together): retry until the store's timeout.
        """
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def _connect(self) -> _ClosingConnection:
        conn = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout={int(self._timeout * 1000)}")
        conn.execute("PRAGMA synchronous=NORMAL")
        return _ClosingConnection(conn)

    @property
    def video_dir(self) -> Path:
        """Where encoded mp4s of this store's trials are kept for the frame viewer."""
        return self.path.with_name(self.path.stem + "_videos")

    # ------------------------------------------------------------------ writes
    def put(self, result: TrialResult, *, sweep: str | None = None) -> None:
        """Store one result (replacing an older row with the same key), committed immediately."""
        summary = json.dumps(result.summary(), default=_json_default, allow_nan=True)
        row = (
            result.key,
            result.status,
            result.label,
            result.episode_key,
            result.source,
            result.config.get("vcodec"),
            time.time(),
            sweep,
            summary,
            _pack_arrays(result.frame_arrays()),
        )
        with self._connect() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO trials (key, status, label, episode_key, source, vcodec, created_at, sweep,"
                " summary, frames) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )

    def delete(self, keys: Iterable[str]) -> int:
        with self._connect() as conn:
            cur = conn.executemany("DELETE FROM trials WHERE key = ?", [(k,) for k in keys])
            return cur.rowcount

    # ------------------------------------------------------------------ reads
    def keys(self, statuses: Iterable[str] | None = None) -> set[str]:
        """Keys of stored trials (optionally only with the given statuses)."""
        with self._connect() as conn:
            if statuses is None:
                rows = conn.execute("SELECT key FROM trials").fetchall()
            else:
                st = list(statuses)
                rows = conn.execute(
                    f"SELECT key FROM trials WHERE status IN ({','.join('?' * len(st))})", st
                ).fetchall()
        return {r[0] for r in rows}

    def __len__(self) -> int:
        with self._connect() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM trials").fetchone()[0])

    def __contains__(self, key: str) -> bool:
        with self._connect() as conn:
            return conn.execute("SELECT 1 FROM trials WHERE key = ?", (key,)).fetchone() is not None

    def summaries(self) -> list[dict[str, Any]]:
        """All rows as flat dicts (what :func:`load_results` turns into a DataFrame)."""
        with self._connect() as conn:
            rows = conn.execute("SELECT summary, created_at, sweep FROM trials ORDER BY created_at").fetchall()
        out = []
        for summary, created_at, sweep in rows:
            row = json.loads(summary)
            row["stored_at"] = created_at
            row["sweep"] = sweep
            out.append(row)
        return out

    def frame_arrays(self, key: str) -> dict[str, np.ndarray]:
        """Per-frame quality arrays of one trial (``psnr_frames``, ``ssim_frames``, ...)."""
        with self._connect() as conn:
            row = conn.execute("SELECT frames FROM trials WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(f"no trial with key {key!r} in {self.path}")
        return _unpack_arrays(row[0])

    def summary(self, key: str) -> dict[str, Any]:
        with self._connect() as conn:
            row = conn.execute("SELECT summary FROM trials WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(f"no trial with key {key!r} in {self.path}")
        return json.loads(row[0])


class _ClosingConnection:
    """A connection usable as ``with store._connect() as conn`` that closes on exit (sqlite3's own
    context manager only ends the transaction)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> sqlite3.Connection:
        return self._conn

    def __exit__(self, *exc: object) -> None:
        self._conn.close()


#: Columns every results table has, even when its rows predate them (None = not measured).
GUARANTEED_COLUMNS: tuple[str, ...] = ("decoder", "decode_ok", "decode_issue")


def load_results(store_path: str | os.PathLike) -> Any:
    """The store as a pandas DataFrame, one row per trial (failed ones included, with their error).

    ``decoder`` names the training decoder(s) whose load time the row holds; ``decode_ok`` is False when
    a random-access query raised or returned a wrong frame, and ``decode_issue`` then says which
    decoder, the symptom and the remedy."""
    import pandas as pd

    path = Path(store_path)
    if not path.is_file():
        raise FileNotFoundError(f"results store not found: {path}")
    rows = ResultStore(path).summaries()
    df = pd.json_normalize(rows, max_level=0) if rows else pd.DataFrame()
    for col in GUARANTEED_COLUMNS:
        if col not in df.columns:
            df[col] = None
    return df


def export_results(store_path: str | os.PathLike, out: str | os.PathLike) -> Path:
    """Write the results table to ``.parquet`` or ``.csv`` (chosen by the file suffix)."""
    out = Path(out)
    df = load_results(store_path)
    flat = df.copy()
    for col in flat.columns:
        if flat[col].map(lambda v: isinstance(v, (dict, list))).any():
            flat[col] = flat[col].map(lambda v: json.dumps(v, default=_json_default) if isinstance(v, (dict, list)) else v)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".parquet":
        flat.to_parquet(out, index=False)
    elif out.suffix == ".csv":
        flat.to_csv(out, index=False)
    else:
        raise ValueError(f"out={str(out)!r}: unsupported format {out.suffix!r}; allowed: ['.parquet', '.csv']")
    return out
