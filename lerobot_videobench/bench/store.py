"""The results store: one SQLite file (WAL), one row per trial keyed by the trial's content hash.

Each finished trial is committed on its own, so a killed sweep loses at most the trials in flight and
a rerun skips what is stored; ``INSERT OR REPLACE`` on the key means two sweeps writing the same store
never duplicate a row. Per-frame quality arrays are kept as compressed ``.npz`` blobs for the viewer.
"""

from __future__ import annotations

import io
import json
import logging
import os
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DiskFullError, SourceNotFoundError, StoreError
from .trial import TrialResult

logger = logging.getLogger(__name__)

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
CREATE TABLE IF NOT EXISTS claims (
    key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    claimed_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sweeps (
    owner TEXT PRIMARY KEY,
    started_at REAL NOT NULL,
    heartbeat_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    finished_at REAL
);
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


#: ``PRAGMA application_id`` of a results store ("VBst"): marks the file as ours, so a sweep never
#: writes into another program's SQLite database.
APPLICATION_ID = 0x56427374
#: Columns a store must have; a file with a ``trials`` table lacking them is of an older schema.
REQUIRED_COLUMNS = ("key", "status", "label", "episode_key", "source", "created_at", "summary", "frames")
_SQLITE_MAGIC = b"SQLite format 3\x00"
#: How long a write waits for another process's lock before the result goes to the pending folder
#: (``$LEROBOT_VIDEOBENCH_STORE_TIMEOUT`` seconds overrides it).
DEFAULT_TIMEOUT_S = 15.0


#: Seconds a sweep's claim on a trial (and its entry in ``sweeps``) lives without a heartbeat; a sweep
#: renews its claims several times per lease, so only a dead or frozen sweep lets them expire
#: (``$LEROBOT_VIDEOBENCH_CLAIM_LEASE`` seconds overrides it).
DEFAULT_CLAIM_LEASE_S = 30.0


def default_claim_lease_s() -> float:
    try:
        return max(0.5, float(os.environ.get("LEROBOT_VIDEOBENCH_CLAIM_LEASE", DEFAULT_CLAIM_LEASE_S)))
    except ValueError:
        return DEFAULT_CLAIM_LEASE_S


@dataclass(frozen=True)
class SweepOwner:
    """Who holds a claim: ``host:pid:sweep_id`` (one sweep of one process on one machine)."""

    host: str
    pid: int
    sweep_id: str

    @classmethod
    def parse(cls, owner: str) -> SweepOwner:
        host, pid, sweep_id = owner.rsplit(":", 2)
        return cls(host, int(pid), sweep_id)

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.sweep_id}"

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host}, sweep {self.sweep_id}"

    def process_gone(self) -> bool:
        """True when the owner ran on this machine and its process no longer exists (its claims are void
        at once, without waiting for the lease)."""
        import socket

        if self.host != socket.gethostname():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False


def default_timeout_s() -> float:
    try:
        return float(os.environ.get("LEROBOT_VIDEOBENCH_STORE_TIMEOUT", DEFAULT_TIMEOUT_S))
    except ValueError:
        return DEFAULT_TIMEOUT_S


def _nearly_full(folder: Path) -> bool:
    """SQLite reports a full disk while writing its WAL index as "disk I/O error": tell them apart."""
    import shutil

    try:
        return shutil.disk_usage(folder).free < 1 << 20
    except OSError:
        return False


class ResultStore:
    """SQLite store of trial results; safe for several processes writing at once (WAL + busy timeout).

    ``read_only=True`` (what recommend, pareto, report, compare and :func:`load_results` use) never
    writes: no WAL switch, no table creation, works on read-only media. A store that cannot be used
    (not SQLite, another program's database, an older schema) raises :class:`StoreError` naming it.
    A write that stays locked by another process for ``timeout_s`` is kept in ``<store>.pending/`` and
    imported the next time the store is opened for writing, so a finished trial is never lost.
    """

    def __init__(
        self, path: str | os.PathLike, *, timeout_s: float | None = None, read_only: bool = False
    ) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._timeout = default_timeout_s() if timeout_s is None else float(timeout_s)
        if self.path.is_dir():
            raise StoreError(f"store={self.path} is a directory; give a file path such as results.sqlite")
        exists = self.path.is_file() and self.path.stat().st_size > 0
        if read_only and not self.path.is_file():
            raise SourceNotFoundError(f"results store not found: {self.path}")
        if exists:
            with open(self.path, "rb") as f:
                if f.read(16) != _SQLITE_MAGIC:
                    raise StoreError(f"{self.path} is not a results store: it is not an SQLite file")
        if read_only:
            with self._connect() as conn:
                self._check_schema(conn, created=False)
            return
        if exists and not (os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK)):
            raise StoreError(f"store {self.path} is read-only (a sweep writes results and a WAL journal beside it); "
                             "give --store a writable path, or read it with recommend/pareto/report")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as conn:
                if exists:
                    self._check_schema(conn, created=False)
                self._enable_wal(conn)
                conn.executescript(SCHEMA)
                conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
        except sqlite3.OperationalError as exc:
            raise self._store_error(exc) from exc
        self._import_pending()

    def _check_schema(self, conn: sqlite3.Connection, *, created: bool) -> None:
        """Refuse another program's database and stores of an older schema (before anything writes)."""
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as exc:
            raise self._store_error(exc) from exc
        if app_id not in (0, APPLICATION_ID):
            raise StoreError(f"{self.path} is another program's SQLite database (application_id={app_id:#x}), "
                             "not a results store; give a new file name to --store")
        if "trials" not in tables:
            if not tables and not created:
                if self.read_only:
                    raise StoreError(f"{self.path} is an empty SQLite database, not a results store; run a sweep first")
                return
            if tables:
                raise StoreError(f"{self.path} is not a results store: it has tables {sorted(tables)} and no 'trials'; "
                                 "give a new file name to --store")
            return
        cols = {r[1] for r in conn.execute("PRAGMA table_info(trials)")}
        missing = [c for c in REQUIRED_COLUMNS if c not in cols]
        if missing:
            raise StoreError(f"{self.path} is a results store of an older schema (columns {missing} missing); "
                             "sweep into a new --store file")

    def _store_error(self, exc: Exception) -> Exception:
        msg = str(exc)
        if "locked" in msg or "busy" in msg:
            return StoreError(f"store {self.path} is locked by another process for more than {self._timeout:g} s "
                              "(a sweep or a program holding a write transaction); close it and rerun")
        if "not a database" in msg or "malformed" in msg:
            return StoreError(f"{self.path} is not a results store: {msg}")
        if "readonly" in msg or "read-only" in msg:
            return StoreError(f"store {self.path} is read-only; give --store a writable path")
        if "full" in msg or ("disk I/O error" in msg and _nearly_full(self.path.parent)):
            return DiskFullError(f"no space left for store {self.path}; free space there or pass --store on "
                                 "another disk")
        if "unable to open" in msg:
            return StoreError(f"cannot open store {self.path} ({msg}); check the path and its permissions")
        return StoreError(f"store {self.path}: {msg}")

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
        if self.read_only:
            conn = self._connect_read_only()
        else:
            conn = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout={int(self._timeout * 1000)}")
            conn.execute("PRAGMA synchronous=NORMAL")
        return _ClosingConnection(conn)

    def _connect_read_only(self) -> sqlite3.Connection:
        """``mode=ro``; on read-only media (where SQLite cannot create the WAL index) ``immutable=1``."""
        uri = self.path.resolve().as_uri()
        try:
            conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=self._timeout, isolation_level=None)
            conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
            return conn
        except sqlite3.OperationalError as exc:
            if "unable to open" not in str(exc) and "readonly" not in str(exc):
                raise self._store_error(exc) from exc
        except sqlite3.DatabaseError as exc:
            raise self._store_error(exc) from exc
        return sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None)

    # ------------------------------------------------------------------ pending rows (store was locked)
    @property
    def pending_dir(self) -> Path:
        """Results that could not be written because the store stayed locked; imported on next open."""
        return self.path.with_name(self.path.name + ".pending")

    def _write_pending(self, row: tuple[Any, ...]) -> Path:
        import base64

        self.pending_dir.mkdir(parents=True, exist_ok=True)
        data = list(row[:-1]) + [base64.b64encode(row[-1]).decode() if row[-1] else None]
        path = self.pending_dir / f"{row[0]}.json"
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, path)
        return path

    def _import_pending(self) -> None:
        import base64

        if not self.pending_dir.is_dir():
            return
        for path in sorted(self.pending_dir.glob("*.json")):
            try:
                data = json.loads(path.read_text())
                row = tuple(data[:-1]) + (base64.b64decode(data[-1]) if data[-1] else None,)
                self._insert(row)
            except (ValueError, OSError, sqlite3.Error) as exc:
                logger.warning("pending result %s not imported yet: %s", path, exc)
                continue
            path.unlink(missing_ok=True)
        try:
            self.pending_dir.rmdir()
        except OSError:
            pass

    def _insert(self, row: tuple[Any, ...]) -> None:
        with self._connect() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO trials (key, status, label, episode_key, source, vcodec, created_at, sweep,"
                " summary, frames) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )

    @property
    def video_dir(self) -> Path:
        """Where encoded mp4s of this store's trials are kept for the frame viewer."""
        return self.path.with_name(self.path.stem + "_videos")

    # ------------------------------------------------------------------ writes
    def put(self, result: TrialResult, *, sweep: str | None = None) -> None:
        """Store one result (replacing an older row with the same key), committed immediately.

        Locked past the timeout by another process, the row is kept in :attr:`pending_dir` and a
        :class:`StoreError` says so; a full disk raises :class:`DiskFullError` naming the store."""
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
        try:
            self._insert(row)
        except sqlite3.OperationalError as exc:
            err = self._store_error(exc)
            if not isinstance(err, StoreError) or "locked" not in str(err):
                raise err from exc
            kept = self._write_pending(row)
            raise StoreError(f"{err}; the result of trial {result.label!r} is kept in {kept} and is imported "
                             "when the store is next opened for writing") from exc

    def delete(self, keys: Iterable[str]) -> int:
        with self._connect() as conn:
            cur = conn.executemany("DELETE FROM trials WHERE key = ?", [(k,) for k in keys])
            return cur.rowcount

    # ------------------------------------------------------------------ claims (sweeps sharing a store)
    def register_sweep(self, owner: SweepOwner, lease_s: float) -> None:
        """Announce a running sweep (renewed by :meth:`heartbeat`, ended by :meth:`finish_sweep`)."""
        now = time.time()
        with self._connect() as conn:
            conn.execute("INSERT OR REPLACE INTO sweeps (owner, started_at, heartbeat_at, expires_at, finished_at) "
                         "VALUES (?, ?, ?, ?, NULL)", (str(owner), now, now, now + lease_s))

    def heartbeat(self, owner: SweepOwner, lease_s: float) -> None:
        """Extend the lease of the sweep and of every claim it holds."""
        now = time.time()
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("UPDATE claims SET expires_at = ? WHERE owner = ?", (now + lease_s, str(owner)))
            conn.execute("UPDATE sweeps SET heartbeat_at = ?, expires_at = ? WHERE owner = ?",
                         (now, now + lease_s, str(owner)))
            conn.execute("COMMIT")

    def finish_sweep(self, owner: SweepOwner) -> None:
        """Release every claim of ``owner`` and mark it finished."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM claims WHERE owner = ?", (str(owner),))
            conn.execute("UPDATE sweeps SET finished_at = ? WHERE owner = ?", (time.time(), str(owner)))
            conn.execute("COMMIT")

    def claim(self, key: str, owner: SweepOwner, lease_s: float, *, done_since: float | None = None,
              done_statuses: Iterable[str] | None = None) -> tuple[str, SweepOwner | None]:
        """Try to take trial ``key`` for ``owner``, atomically with the check that nobody measured it meanwhile.

        Returns ``("claimed", previous)`` (``previous`` is the dead or expired owner whose claim was taken
        over, else None), ``("done", None)`` when the store already holds the trial (a row with one of
        ``done_statuses``, any status when None, or any row stored after ``done_since``), or
        ``("busy", other)`` when a live sweep holds it."""
        now = time.time()
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute("SELECT status, created_at FROM trials WHERE key = ?", (key,)).fetchone()
                statuses = None if done_statuses is None else set(done_statuses)
                if row is not None and (statuses is None or row[0] in statuses
                                        or (done_since is not None and row[1] >= done_since)):
                    return "done", None
                held = conn.execute("SELECT owner, expires_at FROM claims WHERE key = ?", (key,)).fetchone()
                previous = None
                if held is not None and held[0] != str(owner):
                    other = SweepOwner.parse(held[0])
                    if held[1] > now and not other.process_gone():
                        return "busy", other
                    previous = other
                conn.execute("INSERT OR REPLACE INTO claims (key, owner, claimed_at, expires_at) VALUES (?, ?, ?, ?)",
                             (key, str(owner), now, now + lease_s))
                return "claimed", previous
            finally:
                conn.execute("COMMIT")

    def release(self, key: str, owner: SweepOwner) -> None:
        with self._connect() as conn:
            conn.execute("DELETE FROM claims WHERE key = ? AND owner = ?", (key, str(owner)))

    def claim_holders(self, keys: Iterable[str]) -> dict[str, SweepOwner]:
        """Live owners (lease not expired, process not known dead) of the given keys' claims."""
        keys = list(keys)
        if not keys:
            return {}
        now = time.time()
        out: dict[str, SweepOwner] = {}
        with self._connect() as conn:
            for i in range(0, len(keys), 500):
                chunk = keys[i:i + 500]
                rows = conn.execute(f"SELECT key, owner FROM claims WHERE expires_at > ? AND key IN "
                                    f"({','.join('?' * len(chunk))})", [now, *chunk]).fetchall()
                out.update({k: SweepOwner.parse(o) for k, o in rows})
        return {k: o for k, o in out.items() if not o.process_gone()}

    def measuring_sweeps(self, exclude: SweepOwner | None = None) -> list[SweepOwner]:
        """Sweeps other than ``exclude`` that hold a live claim right now (measuring on this store)."""
        with self._connect() as conn:
            rows = conn.execute("SELECT DISTINCT owner FROM claims WHERE expires_at > ?", (time.time(),)).fetchall()
        owners = [SweepOwner.parse(r[0]) for r in rows if exclude is None or r[0] != str(exclude)]
        return [o for o in owners if not o.process_gone()]

    def stored_meta(self, keys: Iterable[str]) -> dict[str, tuple[str, float, str | None]]:
        """``key -> (status, created_at, sweep)`` of the given keys that are stored."""
        keys = list(keys)
        out: dict[str, tuple[str, float, str | None]] = {}
        with self._connect() as conn:
            for i in range(0, len(keys), 500):
                chunk = keys[i:i + 500]
                rows = conn.execute(f"SELECT key, status, created_at, sweep FROM trials WHERE key IN "
                                    f"({','.join('?' * len(chunk))})", chunk).fetchall()
                out.update({k: (st, c, sw) for k, st, c, sw in rows})
        return out

    def sweep_owner(self, sweep_id: str) -> SweepOwner | None:
        """The registered owner of ``sweep_id`` (to name the process that measured a row)."""
        with self._connect() as conn:
            rows = conn.execute("SELECT owner FROM sweeps").fetchall()
        for (owner,) in rows:
            o = SweepOwner.parse(owner)
            if o.sweep_id == sweep_id:
                return o
        return None

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
    decoder, the symptom and the remedy. ``kind`` is ``rgb`` or ``depth`` (a depth camera's row carries
    ``depth_*`` error columns in mm instead of PSNR/SSIM)."""
    import pandas as pd

    path = Path(store_path)
    if not path.is_file():
        raise SourceNotFoundError(f"results store not found: {path}")
    rows = ResultStore(path, read_only=True).summaries()
    df = pd.json_normalize(rows, max_level=0) if rows else pd.DataFrame()
    for col in GUARANTEED_COLUMNS:
        if col not in df.columns:
            df[col] = None
    # rows stored before depth cameras existed are RGB
    df["kind"] = df["kind"].fillna("rgb") if "kind" in df.columns else "rgb"
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
