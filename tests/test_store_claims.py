"""Two sweeps sharing one store: claims, so each trial is measured once and the sharing is said, and claims
of a sweep that died (or stopped renewing its lease) are taken over. Real processes, real SQLite."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from lerobot_videobench.bench import MeasureSettings, ResultStore, expand_grid, load_results, run_sweep
from lerobot_videobench.bench.store import SweepOwner
from lerobot_videobench.bench.trial import relevant_versions, trial_key
from lerobot_videobench.episodes import episode_from_arrays

from test_sweep import FAST, _frames

#: Four tiny configurations (deterministic single-thread encodes of 64x48 frames).
GRID4 = {"vcodec": ["h264"], "crf": [20, 24, 28, 32], "preset": ["veryfast"], "encoder_threads": [1]}

TWO_SWEEPS_SCRIPT = """
import json, sys, time
from pathlib import Path
import numpy as np
from lerobot_videobench.bench import MeasureSettings, run_sweep
from lerobot_videobench.episodes import episode_from_arrays

if __name__ == "__main__":  # run_sweep spawns worker processes
    store, cache, frames, grid, settings, gate = sys.argv[1:7]
    episode = episode_from_arrays(list(np.load(frames)))
    Path(gate + ".ready." + str(__import__("os").getpid())).touch()
    while not Path(gate).exists():  # both processes plan the sweep at the same moment
        time.sleep(0.01)
    events = []
    s = run_sweep(episode, json.loads(grid), store, workers=1, cache_dir=cache, progress=events.append,
                  settings=MeasureSettings(**json.loads(settings)))
    print(json.dumps({"ran": s.ran, "cached": s.cached, "shared": s.shared, "failed": s.failed, "keys": s.keys,
                      "notes": s.notes, "kinds": [e.kind for e in events],
                      "messages": [e.message for e in events if e.message]}))
"""


def _keys(episode, grid, settings: MeasureSettings, cache: Path) -> list[str]:
    """The trial keys run_sweep computes for ``grid`` on ``episode`` (same fingerprint, same versions)."""
    fp, versions = episode.fingerprint(cache), relevant_versions()
    return [trial_key(fp, spec, settings, versions) for spec in expand_grid(grid).specs]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.slow
def test_two_sweeps_in_two_processes_measure_each_trial_once_and_say_so(tmp_path: Path) -> None:
    script, npy, gate = tmp_path / "two.py", tmp_path / "frames.npy", tmp_path / "go"
    script.write_text(TWO_SWEEPS_SCRIPT)
    np.save(npy, _frames(n=30))
    cmd = [sys.executable, str(script), str(tmp_path / "r.sqlite"), str(tmp_path / "cache"), str(npy),
           json.dumps(GRID4), json.dumps(FAST), str(gate)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("go.ready.*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    gate.touch()
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-3000:] for _, err in outs]
    a, b = (json.loads(out.strip().splitlines()[-1]) for out, _ in outs)

    # every trial measured exactly once, by one of the two sweeps; the other picked its result up
    assert a["keys"] == b["keys"] and len(a["keys"]) == 4
    assert a["ran"] + b["ran"] == 4 and a["cached"] == b["cached"] == 0
    for r in (a, b):
        assert r["ran"] + r["shared"] == 4 and r["failed"] == 0
    store = ResultStore(tmp_path / "r.sqlite")
    assert len(store) == 4 and store.keys() == set(a["keys"])
    df = load_results(tmp_path / "r.sqlite")
    assert df["sweep"].nunique() == sum(1 for r in (a, b) if r["ran"]), "one sweep id per process that measured"
    # the sweep that did not measure everything says who did, with the other process's pid
    pids = [p.pid for p in procs]
    for r, other_pid in ((a, pids[1]), (b, pids[0])):
        if r["shared"]:
            note = next(n for n in r["notes"] if "measured by another sweep" in n)
            assert note.startswith(f"{r['shared']} trial(s) measured by another sweep (pid {other_pid} on ")
            assert "sharing this store" in note
            assert r["kinds"].count("shared") == r["shared"]
    # figures taken while the other sweep measured on the same store are flagged, naming it
    for row in df.itertuples():
        if isinstance(row.contended_by, str):
            assert row.contended and any(f"pid {pid} " in row.contended_by for pid in pids)
    with sqlite_conn(tmp_path / "r.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0, "claims released at the end"
        assert conn.execute("SELECT COUNT(*) FROM sweeps WHERE finished_at IS NULL").fetchone()[0] == 0


def sqlite_conn(path: Path):
    import contextlib
    import sqlite3

    return contextlib.closing(sqlite3.connect(path))


def test_claims_of_a_dead_sweep_are_taken_over_at_once(tmp_path: Path) -> None:
    episode = episode_from_arrays(list(_frames(n=8)))
    grid = {**GRID4, "crf": [24, 32]}
    settings = MeasureSettings(**FAST)
    store = ResultStore(tmp_path / "r.sqlite")
    dead = SweepOwner(socket.gethostname(), _dead_pid(), "deadsweep0001")
    for key in _keys(episode, grid, settings, tmp_path / "cache"):
        assert store.claim(key, dead, lease_s=3600)[0] == "claimed"  # an hour of lease: only death voids it
    t0 = time.monotonic()
    summary = run_sweep(episode, grid, store, workers=1, cache_dir=tmp_path / "cache", settings=settings)
    assert (summary.ran, summary.shared, summary.taken_over, summary.failed) == (2, 0, 2, 0)
    assert any("claimed by a sweep that stopped" in n for n in summary.notes)
    assert time.monotonic() - t0 < 60  # did not wait for the hour-long lease
    assert set(load_results(store.path)["status"]) == {"ok"}


def test_a_live_claim_is_waited_for_and_taken_over_when_its_lease_lapses(tmp_path: Path) -> None:
    episode = episode_from_arrays(list(_frames(n=8)))
    grid = {**GRID4, "crf": [24, 32]}
    settings = MeasureSettings(**FAST)
    store = ResultStore(tmp_path / "r.sqlite")
    elsewhere = SweepOwner("another-host.example", 4242, "remotesweep01")  # alive as far as we can tell
    held = _keys(episode, grid, settings, tmp_path / "cache")[0]
    assert store.claim(held, elsewhere, lease_s=4.0)[0] == "claimed"
    assert store.claim(held, SweepOwner(socket.gethostname(), 1, "probe"), lease_s=4.0) == ("busy", elsewhere)
    events = []
    summary = run_sweep(episode, grid, store, workers=1, cache_dir=tmp_path / "cache", settings=settings,
                        progress=events.append)
    assert (summary.ran, summary.taken_over, summary.failed) == (2, 1, 0)
    waiting = [e for e in events if e.kind == "waiting"]
    assert len(waiting) == 1 and "pid 4242 on another-host.example" in waiting[0].message
    assert "waiting for their results" in waiting[0].message
    assert events[-1].kind == "done" and events[-1].completed == 2


def test_read_only_store_of_a_sweep_with_claims_still_reads(tmp_path: Path) -> None:
    episode = episode_from_arrays(list(_frames(n=8)))
    run_sweep(episode, {**GRID4, "crf": [28]}, tmp_path / "r.sqlite", workers=1, cache_dir=tmp_path / "cache",
              settings=MeasureSettings(**FAST))
    ro = ResultStore(tmp_path / "r.sqlite", read_only=True)
    assert len(ro) == 1 and len(load_results(tmp_path / "r.sqlite")) == 1
