"""What the README promises of the command line: every command takes --json, there is a --version, and
export's --json is its JSON document."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import lerobot_videobench as vb
from lerobot_videobench.cli import COMMANDS, build_parser, main


def _subparsers():
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_takes_json(command: str) -> None:
    options = {opt for a in _subparsers()[command]._actions for opt in a.option_strings}
    assert "--json" in options, f"{command} has no --json"


def test_version_names_package_and_encoder_build() -> None:
    out = subprocess.run([sys.executable, "-m", "lerobot_videobench.cli", "--version"], capture_output=True,
                         text=True, check=True)
    assert out.stdout.startswith(f"lerobot-videobench {vb.__version__} (PyAV ")
    assert "FFmpeg" in out.stdout


def test_export_json_is_the_json_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--json", "--vcodec", "h264", "--crf", "23", "--preset", "veryfast"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert main(["export", "--format", "json", "--vcodec", "h264", "--crf", "23", "--preset", "veryfast"]) == 0
    assert json.loads(capsys.readouterr().out) == doc
    encoder = next(v for v in doc["dataset"].values() if isinstance(v, dict) and "vcodec" in v)
    assert (encoder["vcodec"], encoder["crf"]) == ("h264", 23)


def test_export_json_contradicting_format_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--json", "--format", "yaml"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--json contradicts --format yaml" in err
