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


def test_search_prints_its_summary_once_and_the_resulting_size(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["search", "sample", "--episodes", "0", "--cameras", "observation.images.top", "--max-frames", "4",
               "--target-ssim", "0.5", "--crf-min", "30", "--crf-max", "34", "--store", str(tmp_path / "s.sqlite")])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert out.count("encode(s) run") == 1, out
    assert "resulting size: " in out and " per frame at crf " in out, out


def test_realtime_prints_auto_threads_and_at_most_one_queue_line(capsys: pytest.CaptureFixture[str]) -> None:
    # a queue of one frame at a high rate: drops are likely, and however many, stderr gets one summary line
    main(["realtime", "--cameras", "2", "--width", "64", "--height", "48", "--fps", "240", "--seconds", "0.3",
          "--queue-maxsize", "1", "--synthetic", "--vcodec", "h264", "--preset", "veryfast"])
    out, err = capsys.readouterr()
    assert "encoder_threads auto" in out and "None" not in out.splitlines()[0], out
    assert len([line for line in err.splitlines() if "queue" in line.lower()]) <= 1, err
