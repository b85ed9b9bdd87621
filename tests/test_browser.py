"""The quickstart notebook in a real JupyterLab, driven in Debian's headless Chromium by Playwright.

JupyterLab is started on loopback with a random token in a temporary root holding a copy of
``notebooks/01_quickstart.ipynb`` whose parameters are shrunk (8 frames, 2 configurations). The test
runs every cell from the Run menu and checks what a user would see: the workbench panels render (no
widget error), the sweep puts points on the explorer plot, and the export panel shows the flags.
Screenshots go to ``test-artifacts/browser/``. Skips when Chromium or Playwright is missing.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "01_quickstart.ipynb"
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
# How the machine runs Chromium headless: no background connections (the network is closed), no GPU.
# Playwright adds --headless and a fresh temporary --user-data-dir itself.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
TINY_GRID = {
    "vcodec": ["libsvtav1", "h264"],
    "crf": {"libsvtav1": [30], "h264": [28]},
    "g": [2],
    "preset": {"libsvtav1": [12], "h264": ["veryfast"]},
}
RUN_TIMEOUT_S = 600
#: How long JupyterLab may take to answer: minutes on a machine whose cores are all busy.
LAB_START_S = 300
WIDGET_ERRORS = ("Error displaying widget", "Failed to load model class", "model not found", "Error creating view")
FLAG = "--dataset.rgb_encoder."
#: Tabs with plots -> (plots that must show data, first plot's trace kind). Sweep live plot, Explore Pareto
#: scatter, Frames per-frame trace, Real-time queue-depth plot (and its bars).
PLOTTED = {"Sweep": (1,), "Explore": (1,), "Frames": (1,), "Real-time": (2,)}
#: Per plot of tab i (in page order): how many markers or drawn line segments / bars it shows.
COUNT_JS = """
(i) => {
  const wb = document.querySelectorAll('.jp-Notebook .jp-CodeCell')[1];
  return [...wb.querySelectorAll('.js-plotly-plot')].filter(plot => plot.offsetParent !== null).map(plot =>
    [...plot.querySelectorAll('.scatterlayer .trace .points path, .barlayer .point path')].length +
    [...plot.querySelectorAll('.scatterlayer .trace path.js-line')]
        .filter(p => (p.getAttribute('d') || '').length > 1).length);
}
"""
DRAWN_JS = "([i, need]) => { const c = (" + COUNT_JS + ")(i); return c.length >= need[0] && c.slice(0, need[0]).every(n => n > 0); }"
KERNEL_IDLE = re.compile(r"Python 3 \(ipykernel\) \| Idle")


@pytest.fixture(scope="module")
def python3_kernel() -> None:
    """The notebook asks for the ``python3`` kernel: install the spec for this Python if it is missing."""
    from jupyter_client.kernelspec import KernelSpecManager

    if "python3" not in KernelSpecManager().find_kernel_specs():
        subprocess.run([sys.executable, "-m", "ipykernel", "install", "--user", "--name", "python3"], check=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _set_parameters(path: Path, values: dict) -> None:
    """Rewrite the notebook's ``parameters`` cell with ``values`` (as papermill would inject them)."""
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    cell.source = "\n".join(f"{name} = {value!r}" for name, value in values.items())
    nbformat.write(nb, path)


def _write_settings(settings_dir: Path) -> None:
    """Lab user settings: render every cell (no windowing, so off-screen outputs exist in the DOM), start
    the notebook's kernel without asking, and no news or update check (a toast would cover the page)."""
    notebook = settings_dir / "@jupyterlab" / "notebook-extension"
    notebook.mkdir(parents=True)
    (notebook / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none", "autoStartDefaultKernel": True})
    )
    apputils = settings_dir / "@jupyterlab" / "apputils-extension"
    apputils.mkdir(parents=True)
    (apputils / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )


@pytest.fixture
def lab(tmp_path: Path, python3_kernel: None):
    """A JupyterLab server on 127.0.0.1 serving a parametrised copy of the quickstart; yields (url, root)."""
    root = tmp_path / "root"
    root.mkdir()
    nb_path = root / NOTEBOOK.name
    shutil.copy(NOTEBOOK, nb_path)
    _set_parameters(nb_path, {
        "source": "sample",
        "max_frames": 8,
        "grid": TINY_GRID,
        "store": str(tmp_path / "results.sqlite"),
        "cache_dir": str(tmp_path / "cache"),
        "min_ssim": None,
        "realtime_seconds": 1.0,
    })
    _write_settings(tmp_path / "lab-settings")
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        # The server's runtime files, config and lab state in tmp; the data path (where the widget,
        # anywidget and plotly lab extensions and the python3 kernelspec are installed) stays as it is.
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "lab-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "LEROBOT_VIDEOBENCH_CACHE": str(tmp_path / "cache"),
    }
    log = (tmp_path / "jupyterlab.log").open("w")
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
        "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + LAB_START_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{(tmp_path / 'jupyterlab.log').read_text()}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer in {LAB_START_S} s:\n{(tmp_path / 'jupyterlab.log').read_text()}")
            time.sleep(0.5)
        yield f"{base}/lab/tree/{nb_path.name}?token={token}", tmp_path
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()
        if ARTIFACTS.is_dir():
            shutil.copy(tmp_path / "jupyterlab.log", ARTIFACTS / "jupyterlab.log")


@pytest.fixture
def browser_page():
    """A page of Debian's Chromium, headless, and the list of its console messages and page errors."""
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":  # .ci/run installs it: a missing browser must not pass silently
            pytest.fail("CI: Debian's chromium is not installed; .ci/run should have installed it")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    print(f"browser artifacts: {ARTIFACTS}")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        console: list[str] = []
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            pg = context.new_page()
            pg.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            pg.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            yield pg, console
        finally:
            (ARTIFACTS / "console.log").write_text("\n".join(console) + "\n")
            browser.close()


def _prompts(page) -> list[str]:
    return page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").all_inner_texts()


def test_quickstart_runs_in_jupyterlab(browser_page, lab) -> None:
    page, console = browser_page
    url, tmp = lab
    page.goto(url)
    page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=60_000)
    # the kernel named in the notebook starts by itself; wait until it is idle before running
    page.locator(".jp-StatusBar-Widget", has_text=KERNEL_IDLE).first.wait_for(timeout=LAB_START_S * 1000)
    page.screenshot(path=ARTIFACTS / "01_opened.png")

    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()

    deadline = time.monotonic() + RUN_TIMEOUT_S
    n_code = page.locator(".jp-Notebook .jp-CodeCell").count()
    while True:
        prompts = _prompts(page)
        done = [p for p in prompts if re.fullmatch(r"\[\d+\]:", p.strip())]
        if len(done) == n_code:
            break
        if time.monotonic() > deadline:
            page.screenshot(path=ARTIFACTS / "timeout.png")
            pytest.fail(f"cells not all executed after {RUN_TIMEOUT_S} s: prompts {prompts}")
        time.sleep(1)
    page.locator(".jp-StatusBar-Widget", has_text=KERNEL_IDLE).first.wait_for(timeout=60_000)
    page.wait_for_timeout(2000)  # let the last widget updates and plot redraws land

    # the whole notebook in one picture: grow the viewport to the notebook's scroll height
    height = page.evaluate(
        "Math.max(...[...document.querySelectorAll('.jp-WindowedPanel-outer')].map(e => e.scrollHeight))"
    )
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 200, 12000)})
    page.evaluate("document.querySelectorAll('.jp-WindowedPanel-outer').forEach(e => e.scrollTop = 0)")
    page.wait_for_timeout(1500)
    page.screenshot(path=ARTIFACTS / "02_after_run.png")

    notebook = page.locator(".jp-Notebook")
    text = notebook.inner_text()
    # 1. no cell raised, no widget failed to render
    assert "Traceback" not in text, text[-3000:]
    for err in WIDGET_ERRORS:
        assert err not in text, f"{err!r} shown in the notebook"

    # 2. the workbench panels rendered as widgets, one tab each
    workbench = page.locator(".jp-Notebook .jp-CodeCell").nth(1).locator(".jp-OutputArea-output").first
    assert workbench.locator(".jupyter-widgets").count() > 0, "the workbench rendered no widget"
    titles = [t.strip() for t in workbench.locator(".lm-TabBar-tab").all_inner_texts()]
    assert {"Sweep", "Explore", "Frames", "Export"} <= set(titles), titles
    # Run All ran the sweep and the real-time check while every plot tab was hidden (the workbench opens on
    # its Source tab and nothing clicked another): the hidden-tab case, deterministically.
    selected = [t.strip() for t in workbench.locator(".lm-TabBar-tab.lm-mod-current").all_inner_texts()]
    assert selected == ["Source"], selected
    shown = {}
    drawn = {}
    for i, title in enumerate(titles):
        workbench.locator(".lm-TabBar-tab").nth(i).click()
        panel = workbench.locator(".widget-tab-contents, .jupyter-widget-tab-contents, .lm-TabPanel-stackedPanel").first
        if title in PLOTTED:
            # 3. every plot of the tab draws its data once shown: markers, or line segments for lines
            try:
                page.wait_for_function(DRAWN_JS, arg=[i, PLOTTED[title]], timeout=20_000)
            except Exception:  # noqa: BLE001 - the assertion below says what was drawn
                pass
            drawn[title] = page.evaluate(COUNT_JS, i)
        page.wait_for_timeout(500)
        workbench.screenshot(path=ARTIFACTS / f"03_tab_{i}_{title.lower().replace(' ', '_').replace('-', '')}.png")
        shown[title] = panel.inner_text()
        for err in WIDGET_ERRORS:
            assert err not in shown[title], f"{err!r} in the {title} tab"
    for title, need in PLOTTED.items():
        counts = drawn.get(title)
        assert counts and len(counts) >= need[0] and all(c > 0 for c in counts[: need[0]]), (
            f"the {title} tab's plots show {counts} drawn points (needs {need[0]} plot(s) with points)")
    assert drawn["Sweep"][0] >= len(TINY_GRID["vcodec"]) and drawn["Explore"][0] >= len(TINY_GRID["vcodec"]), drawn
    # 4. the export shows lerobot-record flags, in its panel and in the printed text
    assert FLAG in shown["Export"], shown["Export"][:2000]
    export_cell = page.locator(".jp-Notebook .jp-CodeCell", has_text="print(wb.export.text)")
    assert FLAG in export_cell.locator(".jp-OutputArea-output").inner_text()
    # the sweep really wrote the store in the test's temporary folder
    assert (tmp / "results.sqlite").is_file()
    # 5. no uncaught JavaScript error in the page (a widget view that failed would throw here)
    assert not [line for line in console if line.startswith("pageerror")], console
