"""The top-level API is the contract: every public name resolves lazily, importing the package needs no
widget libraries, the version is the installed one, and the notebooks import only from the top level."""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import nbformat

import lerobot_videobench as vb

ROOT = Path(__file__).resolve().parents[1]


def test_every_public_name_resolves_and_dir_lists_only_them() -> None:
    for name in vb.__all__:
        assert getattr(vb, name) is not None, name
    assert set(dir(vb)) == set(vb.__all__)
    for name in ("Recommendation", "SearchResult", "HealthReport", "SweepSummary", "build_report", "from_yaml",
                 "Workbench", "Constraints"):
        assert name in vb.__all__
    assert vb.Recommendation.__module__.startswith("lerobot_videobench.decide")


def test_unknown_name_is_an_attribute_error() -> None:
    try:
        vb.not_a_name  # noqa: B018
    except AttributeError as exc:
        assert "not_a_name" in str(exc)
    else:
        raise AssertionError("no AttributeError")


def test_version_comes_from_the_installed_metadata() -> None:
    assert vb.__version__ == version("lerobot-videobench")


def test_import_needs_no_widget_libraries() -> None:
    """With ipywidgets, plotly and anywidget unimportable, the engine still imports and runs."""
    code = (
        "import sys\n"
        "for m in ('ipywidgets', 'plotly', 'anywidget'): sys.modules[m] = None\n"
        "import lerobot_videobench as vb\n"
        "vb.run_sweep, vb.recommend, vb.VideoEncoderConfig, vb.Constraints\n"
        "print(vb.to_cli_args(vb.camera_encoder_defaults())[0])\n"
        "try:\n"
        "    vb.Workbench\n"
        "except ImportError:\n"
        "    print('no widgets')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip().endswith("no widgets"), out.stdout + out.stderr


def test_notebooks_import_only_from_the_top_level() -> None:
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lerobot_videobench"):
                    assert node.module == "lerobot_videobench", f"{path.name}: from {node.module} import ..."
                    assert all(a.name in vb.__all__ for a in node.names), f"{path.name}: {ast.unparse(node)}"
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        assert not alias.name.startswith("lerobot_videobench."), f"{path.name}: import {alias.name}"
