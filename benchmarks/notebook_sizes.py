"""Size of the notebooks as saved after a run: papermill executes each one (tiny parameters, as
tests/test_notebooks.py does) and the saved file is weighed, with its widget state broken down by model.

    python benchmarks/notebook_sizes.py [OUT_DIR]

nbclient stores the kernel's widget state in ``metadata.widgets`` (what JupyterLab's "Save Widget State
Automatically" saves too), so a plotly.js copy per figure would show here as megabytes per plot.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

import papermill

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
STATE_MIME = "application/vnd.jupyter.widget-state+json"
TINY_GRID = {"vcodec": ["libsvtav1", "h264"], "crf": {"libsvtav1": [30], "h264": [28]}, "g": [2],
             "preset": {"libsvtav1": [12], "h264": ["veryfast"]}}


def parameters(name: str, tmp: Path) -> dict:
    common = dict(store=str(tmp / "results.sqlite"), cache_dir=str(tmp / "cache"))
    return {
        "01_quickstart.ipynb": dict(source="sample", max_frames=8, grid=TINY_GRID, **common),
        "02_sweep.ipynb": dict(source="sample", episodes=[0], cameras=["wrist"], max_frames=10, grid=TINY_GRID,
                               workers=1, report_path=str(tmp / "reports" / "sweep.html"), **common),
        "03_compare_frames.ipynb": dict(source="sample", max_frames=8, grid=TINY_GRID, worst=2, **common),
        "04_realtime_check.ipynb": dict(config={"vcodec": "h264", "preset": "veryfast"}, cameras=2, width=160,
                                        height=120, fps=30, seconds=1.0),
    }[name]


def weigh(path: Path) -> dict:
    nb = json.loads(path.read_text(encoding="utf-8"))
    state = nb.get("metadata", {}).get("widgets", {}).get(STATE_MIME, {}).get("state", {})
    by_model: Counter = Counter()
    count: Counter = Counter()
    largest = 0
    for model in state.values():
        kind = model.get("model_name", "?")
        size = len(json.dumps(model))
        by_model[kind] += size
        count[kind] += 1
        largest = max(largest, size)
    outputs = sum(len(json.dumps(c.get("outputs", []))) for c in nb["cells"])
    return {"file_bytes": path.stat().st_size, "widget_state_bytes": len(json.dumps(state)), "models": len(state),
            "largest_model_bytes": largest, "outputs_bytes": outputs,
            "top_models": [(k, count[k], v) for k, v in by_model.most_common(4)]}


def main() -> None:
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="vb-nbsize-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    for nb in sorted(NOTEBOOKS.glob("[0-9]*.ipynb")):
        tmp = out_dir / nb.stem
        tmp.mkdir(exist_ok=True)
        out = tmp / nb.name
        papermill.execute_notebook(str(nb), str(out), parameters=parameters(nb.name, tmp), cwd=str(tmp),
                                   kernel_name="python3", progress_bar=False, execution_timeout=900)
        w = weigh(out)
        print(f"{nb.name}: file {w['file_bytes'] / 1e3:.0f} KB, widget state {w['widget_state_bytes'] / 1e3:.0f} KB "
              f"in {w['models']} models (largest {w['largest_model_bytes'] / 1e3:.0f} KB), outputs "
              f"{w['outputs_bytes'] / 1e3:.0f} KB; by model: "
              + ", ".join(f"{k} x{n} {v / 1e3:.0f} KB" for k, n, v in w["top_models"]), flush=True)


if __name__ == "__main__":
    main()
