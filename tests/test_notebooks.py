"""Every notebook runs top to bottom under papermill on the built-in sample with a tiny grid.

As CI runs them: a fresh ``python3`` kernel, parameters injected after the ``parameters`` cell, the
working directory a temporary folder, every path (store, report, frame cache) in that folder.
"""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

papermill = pytest.importorskip("papermill")

pytestmark = pytest.mark.slow

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
FLAG = "--dataset.rgb_encoder."
TINY_GRID = {
    "vcodec": ["libsvtav1", "h264"],
    "crf": {"libsvtav1": [30], "h264": [28]},
    "g": [2],
    "preset": {"libsvtav1": [12], "h264": ["veryfast"]},
}


@pytest.fixture(scope="module")
def python3_kernel() -> None:
    """The notebooks ask for the ``python3`` kernel: install the spec for this Python if it is missing."""
    from jupyter_client.kernelspec import KernelSpecManager

    if "python3" not in KernelSpecManager().find_kernel_specs():
        subprocess.run([sys.executable, "-m", "ipykernel", "install", "--user", "--name", "python3"], check=True)


def _run(name: str, tmp_path: Path, **parameters) -> nbformat.NotebookNode:
    out = tmp_path / f"out_{name}"
    papermill.execute_notebook(
        str(NOTEBOOKS / name), str(out), parameters=parameters, cwd=str(tmp_path), kernel_name="python3",
        progress_bar=False, execution_timeout=600,
    )
    return nbformat.read(out, as_version=4)


def _cell(nb: nbformat.NotebookNode, cell_id: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.get("id") == cell_id)


def _text(cell: nbformat.NotebookNode) -> str:
    """Everything a cell printed or displayed as text."""
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif "data" in out:
            parts.append(str(out.data.get("text/plain", "")))
    return "".join(parts)


def _mimes(cell: nbformat.NotebookNode) -> list[str]:
    return [m for out in cell.get("outputs", []) for m in out.get("data", {})]


def _length(values) -> int:
    """Length of a plotly data array: a list, or a typed array ``{"dtype", "bdata"}`` (plotly >= 6)."""
    if isinstance(values, dict) and "bdata" in values:
        return len(base64.b64decode(values["bdata"])) // np.dtype(values["dtype"]).itemsize
    return len(values or [])


def _plot_points(cell: nbformat.NotebookNode) -> int:
    """Number of data points over the plotly figures a cell displayed."""
    n = 0
    for out in cell.get("outputs", []):
        fig = out.get("data", {}).get("application/vnd.plotly.v1+json")
        for trace in (fig or {}).get("data", []):
            n += _length(trace.get("x"))
    return n


def test_committed_notebooks_match_the_generator() -> None:
    """The .ipynb files are what ``notebooks/_build.py`` writes: outputs-free, a ``parameters`` cell each."""
    result = subprocess.run([sys.executable, str(NOTEBOOKS / "_build.py"), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        assert nb.cells[0].cell_type == "markdown", path.name
        assert [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])], f"{path.name}: no parameters cell"
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")


def test_01_quickstart(tmp_path: Path, python3_kernel: None) -> None:
    nb = _run("01_quickstart.ipynb", tmp_path, source="sample", max_frames=8, grid=TINY_GRID,
              store=str(tmp_path / "results.sqlite"), cache_dir=str(tmp_path / "cache"))
    assert "application/vnd.jupyter.widget-view+json" in _mimes(_cell(nb, "workbench"))
    assert "smallest of the configurations" in _text(_cell(nb, "recommend"))
    assert FLAG in _text(_cell(nb, "export"))
    assert (tmp_path / "results.sqlite").is_file()


def test_02_sweep(tmp_path: Path, python3_kernel: None) -> None:
    report = tmp_path / "reports" / "sweep.html"
    nb = _run("02_sweep.ipynb", tmp_path, source="sample", episodes=[0], cameras=["wrist"], max_frames=10,
              grid=TINY_GRID, workers=1, store=str(tmp_path / "results.sqlite"), report_path=str(report),
              cache_dir=str(tmp_path / "cache"))
    assert "1 episode-camera streams x 2 configurations = 2 trials" in _text(_cell(nb, "episodes"))
    assert "2 trials: 2 measured" in _text(_cell(nb, "sweep"))
    assert _plot_points(_cell(nb, "pareto")) >= 2
    assert FLAG + "vcodec=" in _text(_cell(nb, "export"))
    assert report.is_file() and "<html" in report.read_text(encoding="utf-8")[:200]
    assert str(report.resolve()) in _text(_cell(nb, "report"))


def test_03_compare_frames_sweeps_an_empty_store(tmp_path: Path, python3_kernel: None) -> None:
    nb = _run("03_compare_frames.ipynb", tmp_path, store=str(tmp_path / "results.sqlite"), source="sample",
              max_frames=8, grid=TINY_GRID, cache_dir=str(tmp_path / "cache"), worst=2)
    assert "holds no successful trial" in _text(_cell(nb, "store"))
    assert "recommended:" in _text(_cell(nb, "pick"))
    assert "application/vnd.jupyter.widget-view+json" in _mimes(_cell(nb, "panel"))
    assert _plot_points(_cell(nb, "open")) >= 8
    assert _mimes(_cell(nb, "worst")).count("image/png") == 2 * 3  # source, encoded, difference per frame


def test_04_realtime_check(tmp_path: Path, python3_kernel: None) -> None:
    nb = _run("04_realtime_check.ipynb", tmp_path, config={"vcodec": "h264", "preset": "veryfast"}, cameras=2,
              width=160, height=120, fps=30, seconds=1.0)
    out = _text(_cell(nb, "check"))
    assert "verdict: " in out and any(v in out for v in ("realtime", "marginal", "overloaded"))
    assert "observation.images.cam1" in _text(_cell(nb, "per-camera"))
    assert _plot_points(_cell(nb, "figures")) > 0
    assert "application/vnd.jupyter.widget-view+json" in _mimes(_cell(nb, "panel"))


def test_05_depth_sweeps_the_sample_depth_camera(tmp_path: Path, python3_kernel: None) -> None:
    report = tmp_path / "reports" / "depth.html"
    grid = {"kind": "depth", "vcodec": ["hevc"], "lossless": [True, False], "crf": [30], "g": [2]}
    nb = _run("05_depth.ipynb", tmp_path, source="sample", episodes=[0], max_frames=6, grid=grid,
              store=str(tmp_path / "depth.sqlite"), report_path=str(report), cache_dir=str(tmp_path / "cache"),
              max_depth_error_mm=1.0, headroom=0.01)  # (the decision must not hang on this machine's speed)
    assert "1 depth streams x 2 configurations = 2 trials" in _text(_cell(nb, "episodes"))
    assert "top_depth" in _text(_cell(nb, "episodes"))
    assert "2 trials: 2 measured" in _text(_cell(nb, "sweep"))
    assert _plot_points(_cell(nb, "pareto")) >= 2
    out = _text(_cell(nb, "recommend"))
    assert "lossless=1" in out.splitlines()[0]  # within 1 mm of the recording: only lossless qualifies
    assert "--dataset.depth_encoder.vcodec=hevc" in out and "--dataset.rgb_encoder.vcodec" not in out
    assert _mimes(_cell(nb, "frames")).count("image/png") == 3
    page = report.read_text(encoding="utf-8")
    assert '<section id="depth">' in page and "Quantization floor" in page
