"""``run_sweep``: every trial of a grid on every episode, resumable, in parallel, locally or on Dask.

The client alone writes the store, one committed row per finished trial; trials already stored are
skipped before anything starts, so a killed sweep resumes where it stopped and a fully cached rerun
is a few store look-ups. Progress is one stream of :class:`SweepEvent` (tqdm in a terminal, a
callback in Jupyter); cancellation stops dispatching and kills what is running.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from ..episodes import Episode
from ..errors import DiskFullError, EnvironmentFailure, InvalidValueError, StoreError
from .grid import GridPlan, expand_grid
from .store import ResultStore, SweepOwner, default_claim_lease_s
from .trial import (
    ENVIRONMENT_STATUS,
    MeasureSettings,
    TrialResult,
    TrialSpec,
    relevant_versions,
    run_trial,
    trial_key,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepEvent:
    """One progress event: ``plan``, ``cached``, ``start``, ``result``, ``shared`` (a trial of this plan stored by
    another sweep sharing the store), ``waiting`` (the rest is being measured by another sweep), ``done`` or
    ``cancelled``."""

    kind: str
    total: int
    completed: int
    cached: int = 0
    failed: int = 0
    label: str | None = None
    episode_key: str | None = None
    result: TrialResult | None = None
    message: str | None = None


@dataclass
class SweepSummary:
    """What a sweep did: counts, the keys of its trials in the store, and the invalid grid entries."""

    store_path: Path
    plan: GridPlan
    keys: list[str] = field(default_factory=list)
    total: int = 0
    cached: int = 0
    ran: int = 0
    failed: int = 0  # every failed trial of this sweep's plan: new ones and those stored earlier
    cached_failed: int = 0  # of which stored earlier and not run again (retry_failed runs them)
    cancelled: bool = False
    shared: int = 0  # trials of this plan measured meanwhile by another sweep sharing the store
    shared_by: list[str] = field(default_factory=list)  # those sweeps (pid, host, sweep id)
    taken_over: int = 0  # trials claimed by a sweep that died or stopped renewing, measured here
    wall_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    def results(self) -> Any:
        """This sweep's rows of the store as a DataFrame."""
        from .store import load_results

        df = load_results(self.store_path)
        return df[df["key"].isin(self.keys)].reset_index(drop=True) if len(df) else df


@dataclass(frozen=True)
class _Task:
    key: str
    episode: Episode
    spec: TrialSpec
    settings: MeasureSettings
    fingerprint: str
    versions: dict[str, str]
    video_dir: str | None


def _execute(task: _Task) -> TrialResult:
    """Run one task (in a worker process or on a Dask worker)."""
    return run_trial(
        task.episode,
        task.spec,
        settings=task.settings,
        fingerprint=task.fingerprint,
        versions=task.versions,
        video_dir=task.video_dir,
    )


def _failure(task: _Task, status: str, error: str, duration: float = 0.0) -> TrialResult:
    ep = task.episode
    return TrialResult(
        key=task.key, status=status, label=task.spec.label, episode_key=ep.key, episode_index=ep.episode_index,
        camera=ep.camera, source=ep.provenance.source, source_fingerprint=task.fingerprint, source_lossy=ep.lossy,
        config=task.spec.config.to_dict(), encoder_threads=task.spec.encoder_threads, frames=ep.num_frames,
        width=ep.width, height=ep.height, fps=ep.fps, settings=task.settings.to_dict(), versions=task.versions,
        error=error, host=socket.gethostname(), started_at=time.time() - duration, duration_s=duration,
        kind="depth" if ep.is_depth else "rgb",
    )


# ---------------------------------------------------------------------- claims
class _ClaimQueue:
    """The tasks still to do, handed out one at a time to the executor after claiming them in the store.

    A task claimed by another live sweep sharing the store is skipped; its result is picked up when that
    sweep stores it (``on_shared``), and it is run here once the claim lapses (owner dead, lease expired).
    ``pop()`` returns None while everything left is being measured elsewhere; truthiness means "still
    outstanding" (ours to run, or awaited from another sweep).
    """

    POLL_S = 0.5

    def __init__(self, tasks: list[_Task], store: ResultStore, owner: SweepOwner, lease_s: float, *,
                 since: float, done_statuses: list[str] | None,
                 on_shared: Callable[[_Task, str, SweepOwner | None], None],
                 on_waiting: Callable[[list[_Task], list[SweepOwner]], None]) -> None:
        self._todo = list(tasks)
        self._store, self._owner, self._lease = store, owner, lease_s
        self._since, self._statuses = since, done_statuses
        self._on_shared, self._on_waiting = on_shared, on_waiting
        self._seen: dict[str, SweepOwner] = {}  # last live owner seen holding each skipped key
        self._last_poll = 0.0
        self._waiting_said = False
        self.taken_over = 0

    def __bool__(self) -> bool:
        return bool(self._todo)

    def __len__(self) -> int:
        return len(self._todo)

    def pop(self) -> _Task | None:
        """Claim and return the next task this sweep may run, or None (nothing claimable right now)."""
        now = time.monotonic()
        recheck = now - self._last_poll >= self.POLL_S  # keys held elsewhere are polled at most every POLL_S
        if recheck:
            self._last_poll = now
        for task in list(self._todo):
            if task.key in self._seen and not recheck:
                continue
            state, other = self._store.claim(task.key, self._owner, self._lease, done_since=self._since,
                                             done_statuses=self._statuses)
            if state == "busy":
                assert other is not None
                self._seen[task.key] = other
                continue
            self._todo.remove(task)
            if state == "done":
                self._shared(task)
                continue
            if other is not None or task.key in self._seen:
                self.taken_over += 1
                logger.warning("trial %s on %s was claimed by %s, which stopped; measuring it here",
                               task.spec.label, task.episode.key, (other or self._seen[task.key]).describe())
            return task
        if self._todo and not self._waiting_said:
            self._waiting_said = True
            owners = list({str(o): o for o in self._seen.values()}.values())
            self._on_waiting(list(self._todo), owners)
        return None

    def _shared(self, task: _Task) -> None:
        meta = self._store.stored_meta([task.key]).get(task.key)
        status = meta[0] if meta else "ok"
        owner = self._seen.get(task.key)
        if owner is None and meta and meta[2]:
            owner = self._store.sweep_owner(meta[2])
        self._on_shared(task, status, owner)

    def idle(self) -> None:
        """Called while nothing of ours runs: wait a little before polling the store again."""
        time.sleep(self.POLL_S)


class _Heartbeat:
    """Renews this sweep's claims and notes which other sweeps measure on the store while each task runs."""

    def __init__(self, store: ResultStore, owner: SweepOwner, lease_s: float) -> None:
        self._store, self._owner, self._lease = store, owner, lease_s
        self._running: dict[str, set[str]] = {}
        self._names: dict[str, SweepOwner] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="vb-claims-heartbeat", daemon=True)
        store.register_sweep(owner, lease_s)
        self._thread.start()

    def _others(self) -> set[str]:
        try:
            owners = self._store.measuring_sweeps(exclude=self._owner)
        except Exception as exc:  # noqa: BLE001 - a busy store must not stop the sweep
            logger.debug("claims: could not list other sweeps: %s", exc)
            return set()
        with self._lock:
            self._names.update({str(o): o for o in owners})
        return {str(o) for o in owners}

    def _loop(self) -> None:
        while not self._stop.wait(self._lease / 6):
            try:
                self._store.heartbeat(self._owner, self._lease)
            except Exception as exc:  # noqa: BLE001
                logger.warning("claims: heartbeat failed (%s); another sweep may take this sweep's trials over", exc)
            others = self._others()
            with self._lock:
                for seen in self._running.values():
                    seen |= others

    def started(self, key: str) -> None:
        others = self._others()
        with self._lock:
            self._running[key] = others

    def finished(self, key: str) -> list[SweepOwner]:
        """Other sweeps that measured on the store while ``key`` ran (its figures are contended)."""
        others = self._others()
        with self._lock:
            seen = self._running.pop(key, set()) | others
            return [self._names[o] for o in sorted(seen) if o in self._names]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        try:
            self._store.finish_sweep(self._owner)
        except Exception as exc:  # noqa: BLE001 - the lease lets them lapse anyway
            logger.warning("claims: could not release this sweep's claims (%s); they lapse in %g s", exc, self._lease)


# ---------------------------------------------------------------------- local process pool
#: Seconds a new worker process may take to start (interpreter, imports) before the environment is blamed.
WORKER_START_TIMEOUT_S = 180.0
_READY = "ready"


def _worker_main(conn: Any, quiet: bool) -> None:
    if quiet:  # x265 and SVT print to the native stderr; keep the terminal for the progress bar
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
    conn.send(_READY)  # the process started and imported the package: from here on, failures are trials'
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        conn.send(_execute(task))


class _Worker:
    def __init__(self, ctx: Any, quiet: bool) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, quiet), daemon=True)
        self.process.start()
        child.close()
        self.task: _Task | None = None
        self.started = 0.0
        self.ready = False

    def wait_ready(self, timeout_s: float = WORKER_START_TIMEOUT_S) -> None:
        """Block until the worker has started; a worker that cannot start is the environment's failure.

        Raises :class:`~lerobot_videobench.errors.EnvironmentFailure` (never cached as a trial result).
        """
        if self.ready:
            return
        ready = wait([self.conn, self.process.sentinel], timeout=timeout_s)
        if self.conn in ready:
            try:
                if self.conn.recv() == _READY:
                    self.ready = True
                    return
            except (EOFError, OSError):
                pass
        code = self.process.exitcode
        self.kill()
        if not ready:
            raise EnvironmentFailure(f"a worker process did not start within {timeout_s:g} s (machine overloaded?)")
        raise EnvironmentFailure(
            f"a worker process could not start (exit code {code}); nothing was recorded, a rerun tries again. "
            "In a script, put the sweep under `if __name__ == \"__main__\":` (workers are spawned and re-import "
            "the main module), and check that the package imports in a fresh interpreter"
        )

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class LocalExecutor:
    """Long-lived worker processes (spawned, so safe from threads in Jupyter), one trial each at a time.

    A trial past its timeout, or a worker that dies (a crashing encoder), kills only that worker:
    the trial is recorded as ``timeout``/``failed`` and a fresh worker takes the next one.
    """

    def __init__(self, workers: int, *, quiet: bool = True) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers={workers!r} must be a positive integer")
        self._ctx = mp.get_context("spawn")
        self._quiet = quiet
        self._workers = [_Worker(self._ctx, quiet) for _ in range(workers)]
        try:
            for w in self._workers:
                w.wait_ready()
        except EnvironmentFailure:
            self.close()
            raise

    def run(
        self, pending: _ClaimQueue, timeout_s: float | None, cancelled: Callable[[], bool],
        on_start: Callable[[_Task], None]
    ) -> Iterator[TrialResult]:
        while pending or any(w.task for w in self._workers):
            if cancelled():
                return
            for i, w in enumerate(self._workers):
                if w.task is None and pending:
                    task = pending.pop()
                    if task is None:  # the rest is being measured by another sweep sharing the store
                        break
                    on_start(task)
                    self._dispatch(i, task)
            busy = [w for w in self._workers if w.task is not None]
            if not busy:
                pending.idle()
                continue
            ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=0.2)
            now = time.monotonic()
            for i, w in enumerate(self._workers):
                if w.task is None:
                    continue
                task = w.task
                if w.conn in ready:
                    try:
                        result = w.conn.recv()
                    except (EOFError, OSError):
                        result = None
                    if result is not None:
                        w.task = None
                        yield result
                        continue
                if w.process.sentinel in ready or not w.process.is_alive():
                    code = w.process.exitcode
                    w.kill()
                    self._workers[i] = _Worker(self._ctx, self._quiet)
                    yield _failure(task, "failed", f"worker process died (exit code {code})", now - w.started)
                elif timeout_s is not None and now - w.started > timeout_s:
                    w.kill()
                    self._workers[i] = _Worker(self._ctx, self._quiet)
                    yield _failure(task, "timeout", f"trial exceeded timeout of {timeout_s:g} s", now - w.started)

    def _dispatch(self, i: int, task: _Task) -> None:
        """Send ``task`` to worker ``i``; one that died while idle (OOM killer, a signal) is replaced first,
        so the trial runs instead of the send raising ``BrokenPipeError`` out of the sweep."""
        w = self._workers[i]
        try:
            if not w.process.is_alive():
                raise BrokenPipeError(f"worker {w.process.pid} exited with code {w.process.exitcode}")
            w.wait_ready()
            w.conn.send(task)
        except OSError as exc:
            logger.warning("replacing a dead idle worker: %s", exc)
            w.kill()
            w = self._workers[i] = _Worker(self._ctx, self._quiet)
            w.wait_ready()
            w.conn.send(task)
        w.task, w.started = task, time.monotonic()

    def close(self) -> None:
        for w in self._workers:
            if w.task is None and w.process.is_alive():
                try:
                    w.conn.send(None)
                except OSError:
                    pass
                w.process.join(2)
            w.kill()


# ---------------------------------------------------------------------- Dask
class DaskExecutor:
    """Trials as Dask futures on a ``distributed`` cluster; results come back to this client.

    At most one trial per worker thread is in flight, so a trial starts when submitted and the
    timeout can be measured from submission; a timed-out future is cancelled and recorded as
    ``timeout`` (Dask cannot interrupt a running task: its thread finishes and the result is dropped).
    Workers must see the same files as the client (sources and the frame cache).
    """

    def __init__(self, scheduler: Any) -> None:
        from distributed import Client

        if isinstance(scheduler, Client):
            self.client, self._owns = scheduler, False
        elif isinstance(scheduler, str):
            try:
                self.client, self._owns = Client(scheduler, timeout="10s"), True
            except (OSError, TimeoutError, ValueError) as exc:
                raise EnvironmentFailure(
                    f"cannot reach the Dask scheduler {scheduler!r} ({exc}); check the address (tcp://host:port) "
                    "and that the scheduler runs, or drop --scheduler to run on this machine"
                ) from exc
        else:
            raise ValueError(f"scheduler={scheduler!r} must be a Dask scheduler address (tcp://host:port) or a Client")
        threads = self.client.nthreads()
        self.slots = max(1, sum(threads.values())) if threads else 1

    def run(
        self, pending: _ClaimQueue, timeout_s: float | None, cancelled: Callable[[], bool],
        on_start: Callable[[_Task], None]
    ) -> Iterator[TrialResult]:
        from distributed import wait as dwait

        running: dict[Any, tuple[_Task, float]] = {}
        while pending or running:
            if cancelled():
                for fut in running:
                    fut.cancel()
                return
            while pending and len(running) < self.slots:
                task = pending.pop()
                if task is None:  # the rest is being measured by another sweep sharing the store
                    break
                on_start(task)
                fut = self.client.submit(_execute, task, pure=False, key=f"vb-trial-{task.key}-{uuid.uuid4().hex[:8]}")
                running[fut] = (task, time.monotonic())
            if not running:
                pending.idle()
                continue
            try:
                done, _ = dwait(list(running), timeout=0.5, return_when="FIRST_COMPLETED")
            except TimeoutError:  # distributed.wait raises when nothing finished within the timeout
                done = set()
            now = time.monotonic()
            for fut in list(running):
                task, started = running[fut]
                if fut in done or fut.done():
                    del running[fut]
                    try:
                        yield fut.result()
                    except Exception as exc:  # the task itself raised: worker lost, pickling, ...
                        yield _failure(task, "failed", f"dask: {type(exc).__name__}: {exc}", now - started)
                elif timeout_s is not None and now - started > timeout_s:
                    del running[fut]
                    fut.cancel()
                    yield _failure(task, "timeout", f"trial exceeded timeout of {timeout_s:g} s", now - started)

    def close(self) -> None:
        if self._owns:
            self.client.close()


# ---------------------------------------------------------------------- the sweep
def _tqdm_progress() -> Callable[[SweepEvent], None]:
    from tqdm.auto import tqdm

    bar: dict[str, Any] = {}

    def report(event: SweepEvent) -> None:
        if event.kind == "plan":
            bar["bar"] = tqdm(total=event.total, unit="trial", desc="sweep", initial=0)
            return
        b = bar.get("bar")
        if b is None:
            return
        if event.kind in ("cached", "result", "shared"):
            b.n = event.completed
            b.set_postfix(cached=event.cached, failed=event.failed, refresh=False)
            b.refresh()
        elif event.kind in ("done", "cancelled"):
            b.n = event.completed
            b.close()

    return report


def _as_cancel(cancel: Any) -> Callable[[], bool]:
    if cancel is None:
        return lambda: False
    if isinstance(cancel, threading.Event):
        return cancel.is_set
    if callable(cancel):
        return lambda: bool(cancel())
    raise ValueError(f"cancel={cancel!r} must be None, a threading.Event or a callable returning True to stop")


def _put(store: ResultStore, result: TrialResult, sweep_id: str) -> None:
    """Store a result; a full disk is the environment's failure, named with the store's path."""
    import sqlite3

    try:
        store.put(result, sweep=sweep_id)
    except sqlite3.OperationalError as exc:
        if "full" in str(exc).lower():
            raise DiskFullError(f"no space left for the results store {store.path}: {exc}") from exc
        raise


def _episodes_for(plan: GridPlan, episodes: list[Episode], notes: list[str]) -> list[Episode]:
    """The episodes a grid applies to: depth cameras for a depth grid, RGB cameras otherwise; the others
    are left out with a note, and a source with none of the grid's kind is refused."""
    want_depth = getattr(plan, "kind", "rgb") == "depth"
    chosen = [ep for ep in episodes if ep.is_depth == want_depth]
    left = len(episodes) - len(chosen)
    if not chosen:
        have = "depth" if want_depth else "RGB"
        other = "an RGB grid (quick, default, thorough)" if want_depth else "--grid depth"
        raise InvalidValueError(f"grid {plan.name!r} is for {have} cameras and the source has none; use {other}")
    if left:
        kind = "RGB" if want_depth else "depth"
        hint = "an RGB grid measures them" if want_depth else "--grid depth measures them"
        notes.append(f"Left out {left} {kind} camera episode(s) that grid {plan.name!r} does not apply to ({hint}).")
    return chosen


def run_sweep(
    episodes: Episode | list[Episode],
    grid: str | os.PathLike | dict[str, Any] | GridPlan,
    store: str | os.PathLike | ResultStore,
    workers: int | None = None,
    scheduler: Any = None,
    progress: bool | Callable[[SweepEvent], None] | None = None,
    cancel: Any = None,
    *,
    timeout_s: float | None = 600.0,
    settings: MeasureSettings | None = None,
    keep_videos: bool = True,
    cache_frames: bool = True,
    cache_dir: str | os.PathLike | None = None,
    retry_failed: bool = False,
) -> SweepSummary:
    """Measure every valid configuration of ``grid`` on every episode of its kind and store the results.

    A depth grid (``kind`` depth, e.g. the built-in ``depth``) runs on the depth cameras only, an RGB grid
    on the RGB cameras only; the others are left out with a note in ``SweepSummary.notes``.

    ``workers`` local processes (default: 1 per 2 cores, at least 1; encoders are multi-threaded), or
    a Dask cluster when ``scheduler`` is an address or a ``distributed.Client``. Stored trials are
    skipped (failed ones too unless ``retry_failed``). ``progress`` is True (tqdm), a callback taking
    :class:`SweepEvent`, or None. ``cancel`` is a ``threading.Event`` or a callable. With
    ``cache_frames`` each episode's frames are decoded once into a raw frame cache on disk that
    every trial reads.
    """
    t0 = time.perf_counter()
    episodes = [episodes] if isinstance(episodes, Episode) else list(episodes)
    if not episodes:
        raise ValueError("episodes is empty: load at least one episode (lerobot_videobench.load_episodes)")
    if timeout_s is not None and (isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float))
                                  or not timeout_s > 0):
        raise ValueError(f"timeout_s={timeout_s!r} must be a positive number of seconds per trial, or None")
    plan = grid if isinstance(grid, GridPlan) else expand_grid(grid)
    store = store if isinstance(store, ResultStore) else ResultStore(store)
    settings = settings or MeasureSettings()
    report = _tqdm_progress() if progress is True else (progress or (lambda e: None))
    is_cancelled = _as_cancel(cancel)
    versions = relevant_versions()
    sweep_id = uuid.uuid4().hex[:12]

    summary = SweepSummary(store.path, plan)
    episodes = _episodes_for(plan, episodes, summary.notes)
    keyed: list[tuple[str, Episode, TrialSpec, str]] = []
    from ..encoding.limits import check_frame_size
    from ..episodes import default_cache_dir
    from ..episodes.frame_cache import clean_orphans

    clean_orphans(Path(cache_dir) if cache_dir else default_cache_dir())  # leftovers of killed runs

    for ep in episodes:  # refused before anything runs: some encoders crash the worker on tiny frames
        for spec in plan.specs:
            check_frame_size(spec.config.vcodec, ep.width, ep.height)
    for ep in episodes:
        fp = ep.fingerprint(cache_dir)
        for spec in plan.specs:
            keyed.append((trial_key(fp, spec, settings, versions), ep, spec, fp))
    summary.keys = [k for k, *_ in keyed]
    summary.total = len(keyed)
    skip = store.keys(None if not retry_failed else ["ok"])
    todo = [item for item in keyed if item[0] not in skip]
    summary.cached = summary.total - len(todo)
    stored_failed = store.keys(["failed", "timeout"]) if not retry_failed else set()
    summary.cached_failed = summary.failed = sum(1 for k, *_ in keyed if k in stored_failed)
    state = {"completed": summary.cached, "failed": summary.failed}
    report(SweepEvent("plan", summary.total, 0, message=f"{len(plan.invalid)} invalid grid entries skipped"))
    if summary.cached:
        report(SweepEvent("cached", summary.total, summary.cached, cached=summary.cached))
    if not todo:
        summary.wall_s = time.perf_counter() - t0
        report(SweepEvent("done", summary.total, summary.total, cached=summary.cached))
        return summary

    # the executor first: an unreachable scheduler is reported before the frame cache is filled
    if scheduler is not None:
        executor: Any = DaskExecutor(scheduler)
    else:
        n = workers if workers is not None else max(1, (os.cpu_count() or 2) // 2)
        if isinstance(n, int) and not isinstance(n, bool) and n > len(todo):
            n = len(todo)
        executor = LocalExecutor(n)
    try:
        cached_eps: dict[int, Episode] = {}
        video_dir = str(store.video_dir) if keep_videos else None
        tasks = []
        for key, ep, spec, fp in todo:
            if cache_frames:
                if id(ep) not in cached_eps:
                    cached_eps[id(ep)] = ep.cached(cache_dir)
                ep = cached_eps[id(ep)]
            tasks.append(_Task(key, ep, spec, settings, fp, versions, video_dir))
    except BaseException:
        executor.close()
        raise

    owner = SweepOwner(socket.gethostname(), os.getpid(), sweep_id)
    lease_s = default_claim_lease_s()
    shared_by: dict[str, SweepOwner] = {}

    def on_start(task: _Task) -> None:
        heartbeat.started(task.key)
        report(SweepEvent("start", summary.total, state["completed"], summary.cached, state["failed"],
                          task.spec.label, task.episode.key))

    def on_shared(task: _Task, status: str, other: SweepOwner | None) -> None:
        who = other.describe() if other else "another sweep"
        if other is not None:
            shared_by[str(other)] = other
        summary.shared += 1
        state["completed"] += 1
        if status != "ok":
            state["failed"] += 1
            summary.failed += 1
        report(SweepEvent("shared", summary.total, state["completed"], summary.cached, state["failed"],
                          task.spec.label, task.episode.key,
                          message=f"measured by another sweep sharing this store ({who}): {status}"))

    def on_waiting(left: list[_Task], others: list[SweepOwner]) -> None:
        who = "; ".join(o.describe() for o in others) or "another sweep"
        report(SweepEvent("waiting", summary.total, state["completed"], summary.cached, state["failed"],
                          message=f"{len(left)} trial(s) are being measured by another sweep sharing this store "
                                  f"({who}); waiting for their results"))

    unstored = 0
    heartbeat = _Heartbeat(store, owner, lease_s)
    queue = _ClaimQueue(tasks, store, owner, lease_s, since=time.time(),
                        done_statuses=["ok"] if retry_failed else None,
                        on_shared=on_shared, on_waiting=on_waiting)
    try:
        for result in executor.run(queue, timeout_s, is_cancelled, on_start):
            others = heartbeat.finished(result.key)
            if result.status == ENVIRONMENT_STATUS:  # the machine failed, not the configuration: never cached
                raise (DiskFullError if "No space left" in (result.error or "") else EnvironmentFailure)(
                    f"{result.error} (trial {result.label} on {result.episode_key}); nothing was recorded for it, "
                    "a rerun tries again"
                )
            if others:  # another sweep measured on this store meanwhile: the figures shared the machine
                result.contended = True
                result.contended_by = "; ".join(o.describe() for o in others)
            try:
                _put(store, result, sweep_id)
            except StoreError as exc:  # locked past its timeout: the row waits in store.pending_dir
                unstored += 1
                logger.warning("%s", exc)
            try:
                store.release(result.key, owner)
            except Exception as exc:  # noqa: BLE001 - the result is stored; the claim ends with the sweep
                logger.debug("claims: release of %s failed: %s", result.key, exc)
            state["completed"] += 1
            summary.ran += 1
            if not result.ok:
                state["failed"] += 1
                summary.failed += 1
                logger.warning("trial %s on %s %s: %s", result.label, result.episode_key, result.status, result.error)
            report(SweepEvent("result", summary.total, state["completed"], summary.cached, state["failed"],
                              result.label, result.episode_key, result))
    finally:
        executor.close()
        heartbeat.close()
    summary.taken_over = queue.taken_over
    summary.shared_by = [o.describe() for o in shared_by.values()]
    if summary.shared:
        pids = ", ".join(f"pid {o.pid} on {o.host}" for o in shared_by.values()) or "its process is unknown"
        summary.notes.append(f"{summary.shared} trial(s) measured by another sweep ({pids}) sharing this store; "
                             "their results are in the table.")
    if summary.taken_over:
        summary.notes.append(f"{summary.taken_over} trial(s) claimed by a sweep that stopped (dead process or lapsed "
                             "lease) were measured by this sweep.")
    if unstored:
        raise StoreError(
            f"{unstored} trial result(s) could not be written because store {store.path} stayed locked by another "
            f"process; they are kept in {store.pending_dir} and imported when the store is next opened for writing "
            "(rerun the sweep once the other process is done)"
        )
    summary.cancelled = is_cancelled() and state["completed"] < summary.total
    summary.wall_s = time.perf_counter() - t0
    report(SweepEvent("cancelled" if summary.cancelled else "done", summary.total, state["completed"],
                      summary.cached, state["failed"]))
    return summary

