"""Tests for bench/runner.py (``run_sweep``): real encodes, a real SQLite store, real worker processes,
a real Dask LocalCluster, and sweeps killed with SIGKILL then resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import av
import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from lerobot_videobench.bench import MeasureSettings, ResultStore, SweepEvent, expand_grid, load_results, run_sweep
from lerobot_videobench.episodes import episode_from_arrays

#: Cheap measurement settings for tiny episodes (still every stage of a trial: encode, decode,
#: metrics, random access and the PNG estimate).
FAST = {"access_samples": 2, "png_samples": 1}

#: Three quick trials, two codecs, one encoder thread (deterministic encodes).
GRID3 = {
    "vcodec": ["h264", "libsvtav1"],
    "crf": {"h264": [23, 28], "libsvtav1": [35]},
    "preset": {"h264": ["veryfast"], "libsvtav1": [12]},
    "encoder_threads": [1],
}

#: A trial that passes config validation but that libx264 refuses when the encoder opens.
BAD_PROFILE = {"vcodec": ["h264"], "crf": [23], "preset": ["veryfast"], "extra_options": {"profile": "bogus"}}

#: A genuinely slow trial: libaom at cpu-used 0 needs minutes for 10 frames of 320x240 on this machine.
SLOW_AOM = {"vcodec": "libaom-av1", "crf": 30, "extra_options": {"cpu-used": 0}}


def _frames(n: int = 10, w: int = 64, h: int = 48, seed: int = 0) -> np.ndarray:
    """Moving texture: a wide sine-plus-noise image panned 3 px per frame (N, H, W, 3) uint8."""
    rng = np.random.default_rng(seed)
    wide = w + 3 * n
    yy, xx = np.mgrid[0:h, 0:wide].astype(np.float32)
    tex = np.stack([128 + 80 * np.sin(xx / (5 + c)) * np.cos(yy / 4 + c) for c in range(3)], axis=-1)
    img = np.clip(tex + rng.normal(0, 8, tex.shape), 0, 255).astype(np.uint8)
    return np.stack([img[:, 3 * i : 3 * i + w] for i in range(n)])


def _episode(seed: int = 0, n: int = 10, w: int = 64, h: int = 48, camera: str = "camera", index: int = 0):
    return episode_from_arrays(list(_frames(n, w, h, seed)), camera=camera, episode_index=index)


def _sweep(episodes, grid, store, tmp_path: Path, **kw):
    """run_sweep with a private frame cache and cheap settings unless told otherwise."""
    kw.setdefault("settings", MeasureSettings(**FAST))
    kw.setdefault("workers", 1)
    return run_sweep(episodes, grid, store, cache_dir=tmp_path / "cache", **kw)


# ---------------------------------------------------------------------------------------------- basics


def test_sweep_stores_one_ok_row_per_episode_and_config_and_reports_progress(tmp_path: Path) -> None:
    episodes = [_episode(seed=0, camera="top"), _episode(seed=1, camera="wrist")]
    store_path = tmp_path / "r.sqlite"
    events: list[SweepEvent] = []
    summary = _sweep(episodes, GRID3, store_path, tmp_path, progress=events.append)

    assert (summary.total, summary.ran, summary.cached, summary.failed) == (6, 6, 0, 0)
    assert not summary.cancelled
    assert len(set(summary.keys)) == 6
    store = ResultStore(store_path)
    assert store.keys() == set(summary.keys)

    df = summary.results()
    assert len(df) == 6 and set(df["status"]) == {"ok"}
    assert sorted(df["episode_key"].unique()) == ["ep0/top", "ep0/wrist"]
    assert set(df["label"]) == {s.label for s in expand_grid(GRID3).specs}
    assert (df["frames"] == 10).all() and (df["width"] == 64).all() and (df["height"] == 48).all()
    assert (df["bytes"] > 0).all() and df["ssim_mean"].between(0.3, 1.0).all() and (df["psnr_mean"] > 15).all()
    for path in df["video_path"]:  # kept for the frame viewer, named by the trial key
        assert Path(path).is_file() and Path(path).parent == store.video_dir
    # the PNG-folder estimate depends on the source only: made once per episode and worker, shared by its trials
    assert (df.groupby("episode_key")["png_load_ms"].nunique() == 1).all()
    assert (df.groupby("episode_key")["png_bytes_estimate"].nunique() == 1).all()
    h264 = df[df["config.vcodec"] == "h264"].set_index(["episode_key", "config.crf"])["bytes"]
    assert (h264.xs(23, level=1) > h264.xs(28, level=1)).all()  # lower crf, bigger file

    kinds = [e.kind for e in events]
    assert kinds[0] == "plan" and kinds[-1] == "done"
    assert kinds.count("start") == 6 and kinds.count("result") == 6 and "cached" not in kinds
    results = [e for e in events if e.kind == "result"]
    assert [e.completed for e in results] == [1, 2, 3, 4, 5, 6]
    assert all(e.total == 6 and e.result is not None and e.result.ok for e in results)
    assert {e.result.key for e in results} == set(summary.keys)
    assert events[-1].completed == 6


def test_rerun_is_all_cached_and_fast_and_new_configs_run_alone(tmp_path: Path) -> None:
    episode = _episode()
    store_path = tmp_path / "r.sqlite"
    first = _sweep(episode, GRID3, store_path, tmp_path)
    assert first.ran == 3

    events: list[SweepEvent] = []
    t0 = time.perf_counter()
    again = _sweep(episode, GRID3, store_path, tmp_path, progress=events.append)
    elapsed = time.perf_counter() - t0
    assert (again.total, again.cached, again.ran) == (3, 3, 0)
    assert again.keys == first.keys
    assert elapsed < 2.0, f"cached rerun took {elapsed:.2f} s"
    assert [e.kind for e in events] == ["plan", "cached", "done"]
    assert len(ResultStore(store_path)) == 3

    bigger = {**GRID3, "crf": {"h264": [23, 28, 33], "libsvtav1": [35]}}
    more = _sweep(episode, bigger, store_path, tmp_path)
    assert (more.total, more.cached, more.ran) == (4, 3, 1)
    assert len(ResultStore(store_path)) == 4


def test_different_measure_settings_or_frames_are_different_trials(tmp_path: Path) -> None:
    store_path = tmp_path / "r.sqlite"
    grid = {"vcodec": ["h264"], "crf": [28], "preset": ["veryfast"]}
    a = _sweep(_episode(seed=0), grid, store_path, tmp_path)
    b = _sweep(_episode(seed=0), grid, store_path, tmp_path, settings=MeasureSettings(access_samples=3, png_samples=1))
    c = _sweep(_episode(seed=5), grid, store_path, tmp_path)
    assert (a.ran, b.ran, c.ran) == (1, 1, 1)
    assert len({a.keys[0], b.keys[0], c.keys[0]}) == 3
    assert len(ResultStore(store_path)) == 3


def test_invalid_grid_entries_are_skipped_and_valid_ones_run(tmp_path: Path) -> None:
    grid = {"vcodec": ["h264", "libsvtav1"], "pix_fmt": ["yuv444p"], "crf": {"h264": [28], "libsvtav1": [64]}}
    events: list[SweepEvent] = []
    summary = _sweep(_episode(), grid, tmp_path / "r.sqlite", tmp_path, progress=events.append)
    assert len(summary.plan.invalid) == 1 and summary.plan.invalid[0].settings["vcodec"] == "libsvtav1"
    assert (summary.total, summary.ran, summary.failed) == (1, 1, 0)
    assert "1 invalid" in events[0].message
    df = load_results(tmp_path / "r.sqlite")
    assert list(df["label"]) == ["h264 crf28 g2 yuv444p"] and list(df["status"]) == ["ok"]


def test_bad_arguments_are_value_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="episodes is empty"):
        run_sweep([], GRID3, tmp_path / "r.sqlite")
    with pytest.raises(ValueError, match="workers"):
        _sweep(_episode(), GRID3, tmp_path / "r.sqlite", tmp_path, workers=0)
    with pytest.raises(ValueError, match="cancel"):
        _sweep(_episode(), GRID3, tmp_path / "r.sqlite", tmp_path, cancel="stop")
    with pytest.raises(ValueError, match="neither a built-in grid"):
        _sweep(_episode(), "no-such-grid", tmp_path / "r.sqlite", tmp_path)


# ---------------------------------------------------------------------------------------------- failures


def test_failing_trial_is_stored_as_failed_and_the_sweep_goes_on(tmp_path: Path) -> None:
    grid = dict(BAD_PROFILE)
    plan = expand_grid(grid)
    assert len(plan) == 1 and not plan.invalid  # it passes validation: only opening the encoder fails
    store_path = tmp_path / "r.sqlite"
    # the bad trial first, so the good ones run after it on the same worker
    plan.specs.extend(expand_grid({"vcodec": ["h264"], "crf": [23, 28], "preset": ["veryfast"]}).specs)
    summary = _sweep(_episode(), plan, store_path, tmp_path)
    assert (summary.total, summary.ran, summary.failed) == (3, 3, 1)

    df = load_results(store_path).set_index("label")
    bad = df.loc["h264 crf23 g2 pveryfast yuv420p profile=bogus"]
    assert bad["status"] == "failed"
    assert "avcodec_open2" in bad["error"] or "Invalid argument" in bad["error"]
    assert np.isnan(bad["bytes"]) and np.isnan(bad["ssim_mean"])
    good = df[df["status"] == "ok"]
    assert len(good) == 2 and good["error"].isna().all()

    # failed trials count as done on a rerun, unless asked to retry them
    rerun = _sweep(_episode(), plan, store_path, tmp_path)
    assert (rerun.cached, rerun.ran) == (3, 0)
    retry = _sweep(_episode(), plan, store_path, tmp_path, retry_failed=True)
    assert (retry.cached, retry.ran, retry.failed) == (2, 1, 1)
    assert len(ResultStore(store_path)) == 3


@pytest.mark.slow
def test_trial_past_timeout_is_stored_as_timeout_and_the_next_trial_runs(tmp_path: Path) -> None:
    plan = expand_grid({**SLOW_AOM, "vcodec": ["libaom-av1"]})
    plan.specs.extend(expand_grid({"vcodec": ["h264"], "crf": [28], "preset": ["veryfast"]}).specs)
    episode = _episode(w=320, h=240)
    events: list[SweepEvent] = []
    t0 = time.perf_counter()
    summary = _sweep(episode, plan, tmp_path / "r.sqlite", tmp_path, timeout_s=2.0, progress=events.append)
    elapsed = time.perf_counter() - t0
    assert elapsed < 20, f"the slow trial was not stopped at its timeout ({elapsed:.1f} s)"
    assert (summary.total, summary.ran, summary.failed) == (2, 2, 1)
    df = load_results(tmp_path / "r.sqlite").set_index("config.vcodec")
    assert df.loc["libaom-av1", "status"] == "timeout"
    assert "timeout of 2 s" in df.loc["libaom-av1", "error"]
    assert df.loc["libaom-av1", "duration_s"] >= 2.0
    assert df.loc["h264", "status"] == "ok"  # ran on a fresh worker after the stuck one was killed
    assert [e.kind for e in events][-1] == "done"


@pytest.mark.slow
def test_worker_killed_mid_trial_is_a_failed_trial_and_a_fresh_worker_continues(tmp_path: Path) -> None:
    psutil = pytest.importorskip("psutil")
    plan = expand_grid({**SLOW_AOM, "vcodec": ["libaom-av1"]})
    plan.specs.extend(expand_grid({"vcodec": ["h264"], "crf": [28], "preset": ["veryfast"]}).specs)
    killed: list[int] = []

    def kill_workers() -> None:
        for child in psutil.Process().children():
            if "spawn_main" in " ".join(child.cmdline()):
                killed.append(child.pid)
                os.kill(child.pid, signal.SIGKILL)

    def on_event(event: SweepEvent) -> None:
        if event.kind == "start" and event.label.startswith("libaom-av1"):
            threading.Timer(0.7, kill_workers).start()  # the slow encode is surely running by then

    summary = _sweep(_episode(w=320, h=240), plan, tmp_path / "r.sqlite", tmp_path, timeout_s=60, progress=on_event)
    assert len(killed) == 1
    df = load_results(tmp_path / "r.sqlite").set_index("config.vcodec")
    assert df.loc["libaom-av1", "status"] == "failed"
    assert "worker process died" in df.loc["libaom-av1", "error"]
    assert df.loc["h264", "status"] == "ok"
    assert (summary.ran, summary.failed) == (2, 1)


def test_worker_that_died_while_idle_is_replaced_and_every_trial_runs(tmp_path: Path) -> None:
    psutil = pytest.importorskip("psutil")
    grid = {"vcodec": ["h264"], "crf": [20, 24, 28], "preset": ["veryfast"]}
    killed: list[int] = []

    def on_event(event: SweepEvent) -> None:
        # after the first result the only worker is idle, waiting for its next trial: kill it there
        if event.kind == "result" and not killed:
            for child in psutil.Process().children():
                if "spawn_main" in " ".join(child.cmdline()):
                    killed.append(child.pid)
                    child.kill()
                    # wait until it is reapable (all its threads gone), without reaping it: the runner must
                    # find out by itself; a zombie group leader alone is not enough, its pipe is still open
                    deadline = time.monotonic() + 5
                    while os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
                        assert time.monotonic() < deadline, "killed worker did not exit"
                        time.sleep(0.01)

    summary = _sweep(_episode(), grid, tmp_path / "r.sqlite", tmp_path, progress=on_event)
    assert len(killed) == 1
    assert (summary.ran, summary.failed) == (3, 0)
    assert set(load_results(tmp_path / "r.sqlite")["status"]) == {"ok"}


# ---------------------------------------------------------------------------------------------- cancellation


def test_cancel_from_the_progress_callback_stops_the_sweep_and_a_rerun_finishes_it(tmp_path: Path) -> None:
    grid = {"vcodec": ["h264"], "crf": [20, 24, 28, 32], "preset": ["veryfast"]}
    store_path = tmp_path / "r.sqlite"
    stop = threading.Event()
    events: list[SweepEvent] = []

    def on_event(event: SweepEvent) -> None:
        events.append(event)
        if event.kind == "result":
            stop.set()

    summary = _sweep(_episode(), grid, store_path, tmp_path, progress=on_event, cancel=stop)
    assert summary.cancelled
    assert summary.ran == 1 and len(ResultStore(store_path)) == 1
    assert events[-1].kind == "cancelled" and events[-1].completed == 1

    resumed = _sweep(_episode(), grid, store_path, tmp_path, cancel=lambda: False)
    assert not resumed.cancelled
    assert (resumed.cached, resumed.ran) == (1, 3)
    assert len(ResultStore(store_path)) == 4


# ---------------------------------------------------------------------------------------------- processes


SWEEP_SCRIPT = """
import json, sys
import numpy as np
from lerobot_videobench.bench import MeasureSettings, run_sweep
from lerobot_videobench.episodes import episode_from_arrays

if __name__ == "__main__":  # run_sweep spawns worker processes
    store, cache, frames, grid, settings = sys.argv[1:6]
    episode = episode_from_arrays(list(np.load(frames)))
    s = run_sweep(episode, json.loads(grid), store, workers=1, cache_dir=cache,
                  settings=MeasureSettings(**json.loads(settings)))
    from lerobot_videobench.bench import load_results
    df = load_results(store)
    bad = df[df["key"].isin(s.keys) & (df["status"] != "ok")]
    errors = [f"{r.label}: {r.status}: {r.error}" for r in bad.itertuples()]
    print(json.dumps({"ran": s.ran, "cached": s.cached, "failed": s.failed, "keys": s.keys, "errors": errors}))
"""


def _sweep_command(tmp_path: Path, grid: dict, frames: np.ndarray) -> list[str]:
    script = tmp_path / "sweep_script.py"
    script.write_text(SWEEP_SCRIPT)
    npy = tmp_path / "frames.npy"
    if not npy.exists():
        np.save(npy, frames)
    return [
        sys.executable, str(script), str(tmp_path / "r.sqlite"), str(tmp_path / "cache"), str(npy),
        json.dumps(grid), json.dumps(FAST),
    ]


@pytest.mark.slow
def test_sweep_killed_with_sigkill_resumes_without_duplicates(tmp_path: Path) -> None:
    grid = {"vcodec": ["hevc"], "crf": [22, 26, 30, 34], "preset": ["medium", "slow"], "encoder_threads": [1]}
    frames = _frames(n=12, w=160, h=120)
    store_path = tmp_path / "r.sqlite"
    proc = subprocess.Popen(
        _sweep_command(tmp_path, grid, frames), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        stored = 0
        while time.monotonic() < deadline and proc.poll() is None:
            if store_path.exists():
                try:
                    stored = len(ResultStore(store_path))
                except Exception:  # the child may be creating the file right now
                    stored = 0
                if stored >= 1:
                    break
            time.sleep(0.01)
        assert proc.poll() is None, "the sweep ended before it could be killed"
        assert stored >= 1, "no trial stored within 60 s"
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its worker process, mid-trial
        proc.wait(10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    after_kill = ResultStore(store_path).keys()
    assert 1 <= len(after_kill) < 8, "the kill should land mid-sweep"

    summary = _sweep(episode_from_arrays(list(frames)), grid, store_path, tmp_path, workers=1)
    assert summary.total == 8
    assert summary.cached == len(after_kill) and summary.ran == 8 - len(after_kill)
    assert summary.failed == 0
    store = ResultStore(store_path)
    assert store.keys() == set(summary.keys) and len(store) == 8
    df = load_results(store_path)
    assert len(df) == 8 and df["key"].is_unique and set(df["status"]) == {"ok"}
    import sqlite3

    with sqlite3.connect(store_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.slow
def test_two_sweeps_writing_the_same_store_at_once_lose_nothing(tmp_path: Path) -> None:
    frames = _frames()
    grid_a = {"vcodec": ["h264"], "crf": [20, 24, 28], "preset": ["veryfast"], "encoder_threads": [1]}
    grid_b = {"vcodec": ["h264"], "crf": [24, 28, 32], "preset": ["veryfast"], "encoder_threads": [1]}
    procs = [
        subprocess.Popen(_sweep_command(tmp_path, g, frames), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for g in (grid_a, grid_b)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in outs]
    reports = [json.loads(out.strip().splitlines()[-1]) for out, _ in outs]
    assert all(r["failed"] == 0 for r in reports), [r["errors"] for r in reports]
    store = ResultStore(tmp_path / "r.sqlite")
    assert store.keys() == set(reports[0]["keys"]) | set(reports[1]["keys"])
    assert len(store) == 4  # crf 20, 24, 28, 32: the two shared configs once each
    df = load_results(tmp_path / "r.sqlite")
    assert sorted(df["config.crf"]) == [20, 24, 28, 32] and set(df["status"]) == {"ok"}


# ---------------------------------------------------------------------------------------------- Dask


@pytest.mark.slow
def test_dask_local_cluster_sweep_equals_local_sweep(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    episodes = [_episode(seed=0), _episode(seed=1, index=1)]
    local = _sweep(episodes, GRID3, tmp_path / "local.sqlite", tmp_path)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        events: list[SweepEvent] = []
        remote = _sweep(episodes, GRID3, tmp_path / "dask.sqlite", tmp_path, scheduler=client, progress=events.append)
        assert client.status == "running"  # a Client passed in stays the caller's
    assert (remote.total, remote.ran, remote.failed) == (6, 6, 0)
    assert remote.keys == local.keys
    assert [e.kind for e in events].count("result") == 6

    cols = ["key", "status", "label", "bytes", "psnr_mean", "ssim_mean", "frames"]
    a = load_results(tmp_path / "local.sqlite")[cols].sort_values("key").reset_index(drop=True)
    b = load_results(tmp_path / "dask.sqlite")[cols].sort_values("key").reset_index(drop=True)
    # one encoder thread per trial: the encodes are bit-identical wherever they run
    assert a.equals(b), f"local:\n{a}\ndask:\n{b}"
    sa, sb = ResultStore(tmp_path / "local.sqlite"), ResultStore(tmp_path / "dask.sqlite")
    for key in local.keys:
        np.testing.assert_array_equal(sa.frame_arrays(key)["ssim_frames"], sb.frame_arrays(key)["ssim_frames"])
    # the results came back to the client, which alone wrote the store: rerunning locally is all cached
    cached = _sweep(episodes, GRID3, tmp_path / "dask.sqlite", tmp_path)
    assert (cached.cached, cached.ran) == (6, 0)


# ---------------------------------------------------------------------------------------------- metric flavours


def _decode_rgb(path: str) -> list[np.ndarray]:
    with av.open(path) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def test_exact_ssim_and_psnr_stored_by_a_sweep_equal_skimage_on_the_decoded_video(tmp_path: Path) -> None:
    frames = _frames()
    grid = {"vcodec": ["libsvtav1"], "crf": [45], "preset": [12]}
    settings = MeasureSettings(exact_ssim=True, **FAST)
    summary = _sweep(episode_from_arrays(list(frames)), grid, tmp_path / "r.sqlite", tmp_path, settings=settings)
    store = ResultStore(tmp_path / "r.sqlite")
    (key,) = summary.keys
    row = store.summary(key)
    assert row["status"] == "ok" and row["settings"]["exact_ssim"] is True

    decoded = _decode_rgb(row["video_path"])
    assert len(decoded) == len(frames)
    # LeRobot's old benchmark call: float32 CHW in [0, 1], data_range=1, channel_axis=0
    theirs_ssim = np.array(
        [
            structural_similarity(
                a.transpose(2, 0, 1).astype(np.float32) / 255,
                b.transpose(2, 0, 1).astype(np.float32) / 255,
                data_range=1.0,
                channel_axis=0,
            )
            for a, b in zip(frames, decoded)
        ]
    )
    theirs_psnr = np.array([peak_signal_noise_ratio(a, b, data_range=255) for a, b in zip(frames, decoded)])
    arrays = store.frame_arrays(key)
    np.testing.assert_allclose(arrays["ssim_exact_frames"], theirs_ssim, rtol=0, atol=1e-6)
    assert row["ssim_exact_mean"] == pytest.approx(float(theirs_ssim.mean()), abs=1e-6)
    assert row["ssim_exact_min"] == pytest.approx(float(theirs_ssim.min()), abs=1e-6)
    np.testing.assert_allclose(arrays["psnr_frames"], theirs_psnr, rtol=1e-6)
    # the fast flavour is a different (named) estimate, close to the exact one on the same frames
    assert row["ssim_flavour"] == "fast"
    assert abs(row["ssim_mean"] - row["ssim_exact_mean"]) < 0.05
    assert theirs_ssim.mean() < 0.99  # crf 45 is visibly lossy: the comparison is not trivially 1 == 1
