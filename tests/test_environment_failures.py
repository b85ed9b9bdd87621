"""Failures that are not the configuration's: a worker that cannot start, a full disk. They are raised
as EnvironmentFailure, never cached as trial failures; a rerun tries again; cached failures are counted."""

from __future__ import annotations

import dataclasses
import errno
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from _decide_support import QUICK, textured_frames

from lerobot_videobench.bench.runner import run_sweep
from lerobot_videobench.bench.store import ResultStore
from lerobot_videobench.episodes import episode_from_arrays
from lerobot_videobench.errors import DiskFullError

ROOT = Path(__file__).resolve().parents[1]
GRID = {"vcodec": ["h264"], "crf": [30], "preset": ["ultrafast"]}


def _script(tmp_path: Path, body: str) -> subprocess.CompletedProcess:
    path = tmp_path / "user_script.py"
    path.write_text(textwrap.dedent(body))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600)


UNGUARDED = """
import lerobot_videobench as vb
from lerobot_videobench.errors import EnvironmentFailure

eps = vb.load_episodes("sample", max_frames=4)
try:
    s = vb.run_sweep(eps[:1], {"vcodec": ["h264"], "crf": [30], "preset": ["ultrafast"]}, "runs.sqlite", workers=1)
    print("RAN", s.failed)
except EnvironmentFailure as exc:
    print("ENVIRONMENT", exc)
"""


def test_spawn_without_main_guard_is_the_environments_failure_and_is_not_cached(tmp_path):
    out = _script(tmp_path, UNGUARDED)
    assert "ENVIRONMENT" in out.stdout and "__main__" in out.stdout, (out.stdout, out.stderr[-2000:])
    store = tmp_path / "runs.sqlite"
    assert not store.exists() or len(ResultStore(store)) == 0  # no failed trial cached
    guarded = "if __name__ == '__main__':\n" + textwrap.indent(textwrap.dedent(UNGUARDED), "    ")
    out = _script(tmp_path, guarded)
    assert "RAN 0" in out.stdout, (out.stdout, out.stderr[-2000:])  # the rerun tried again, and it worked
    assert len(ResultStore(store)) == 1


def test_readme_python_example_runs_pasted_into_a_script(tmp_path):
    block = re.search(r"```python\n(import lerobot_videobench as vb\n.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block and 'if __name__ == "__main__":' in block.group(1)
    code = block.group(1)
    for old, new in (('"lerobot/pusht_image", episodes=[0], max_frames=300', '"sample", max_frames=4'),
                     ('"default"', '{"vcodec": ["h264"], "crf": [30], "preset": ["ultrafast"]}'),
                     ("progress=True", "progress=False, workers=1"), ("min_ssim=0.97", "min_ssim=0.5")):
        assert old in code, old  # the example still reads as the test expects
        code = code.replace(old, new)
    out = _script(tmp_path, code)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "--dataset." in out.stdout


@dataclasses.dataclass(frozen=True, eq=False)
class FullDiskFrames:
    """A source on a full disk: reading fails with ENOSPC (as writing the frame cache or an mp4 would)."""

    frames: tuple

    def __call__(self):
        yield self.frames[0]
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/full/disk")


def test_full_disk_raises_and_caches_nothing_then_a_rerun_tries_again(tmp_path):
    frames = textured_frames(6)
    good = episode_from_arrays(frames, fps=30)
    full = dataclasses.replace(good, reader=FullDiskFrames(tuple(frames)))
    store = tmp_path / "s.sqlite"
    with pytest.raises(DiskFullError, match="No space left"):
        run_sweep(full, GRID, store, workers=1, settings=QUICK, cache_frames=False, keep_videos=False)
    assert len(ResultStore(store)) == 0
    assert run_sweep(good, GRID, store, workers=1, settings=QUICK, cache_frames=False, keep_videos=False).ran == 1


def test_rerun_counts_cached_failures(tmp_path):
    # 63x47 frames: yuv420p needs even sizes, so that configuration fails (a trial failure, cached)
    ep = episode_from_arrays([f[:47, :63] for f in textured_frames(4)], fps=30)
    grid = {"vcodec": ["h264"], "crf": [30], "preset": ["ultrafast"], "pix_fmt": ["yuv420p", "yuv444p"]}
    first = run_sweep(ep, grid, tmp_path / "s.sqlite", workers=1, settings=QUICK, keep_videos=False)
    assert (first.ran, first.failed, first.cached_failed) == (2, 1, 0)
    again = run_sweep(ep, grid, tmp_path / "s.sqlite", workers=1, settings=QUICK, keep_videos=False)
    assert (again.ran, again.cached, again.failed, again.cached_failed) == (0, 2, 1, 1)
