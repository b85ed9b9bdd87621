"""Tests for bench/grid.py: built-in grids, codec-aware axes, YAML grids, invalid entries and errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from lerobot_videobench.bench import BUILTIN_GRIDS, expand_grid


def _labels(plan) -> list[str]:
    return [s.label for s in plan.specs]


@pytest.mark.parametrize("name", sorted(BUILTIN_GRIDS))
def test_builtin_grids_expand_to_valid_unique_specs(name: str) -> None:
    plan = expand_grid(name)
    assert plan.name == name
    assert len(plan) > 0
    assert len(set(map(repr, (s.to_dict() for s in plan.specs)))) == len(plan.specs)
    assert {s.config.vcodec for s in plan.specs} == set(BUILTIN_GRIDS[name]["vcodec"])


def test_quick_grid_is_three_crfs_per_codec() -> None:
    plan = expand_grid("quick")
    by_codec: dict[str, list] = {}
    for s in plan.specs:
        by_codec.setdefault(s.config.vcodec, []).append(s.config.crf)
    assert by_codec == {"libsvtav1": [25, 30, 40], "h264": [18, 23, 28]}
    assert plan.invalid == []


def test_builtin_grids_hold_no_invalid_entry_and_svt_yuv444p_is_refused_with_reason() -> None:
    """The built-in grids give 4:4:4 only to the encoders that take it, so a sweep prints no skipped entries;
    a grid that asks SVT-AV1 for yuv444p still gets the reason."""
    for name in BUILTIN_GRIDS:
        assert expand_grid(name).invalid == [], name
    plan = expand_grid("default")
    assert any(s.config.vcodec == "h264" and s.config.pix_fmt == "yuv444p" for s in plan.specs)
    assert not any(s.config.vcodec == "libsvtav1" and s.config.pix_fmt == "yuv444p" for s in plan.specs)
    asked = expand_grid({"vcodec": ["libsvtav1"], "pix_fmt": ["yuv420p", "yuv444p"], "crf": [30], "g": [2, 10]})
    assert len(asked.invalid) == 2
    assert all("pix_fmt='yuv444p'" in e.reason and "libsvtav1" in e.reason for e in asked.invalid)


def test_invalid_values_are_set_aside_with_their_reason_and_valid_ones_kept() -> None:
    plan = expand_grid({"vcodec": ["libsvtav1", "nope"], "crf": [30, 64], "preset": {"libsvtav1": [12]}})
    assert _labels(plan) == ["libsvtav1 crf30 g2 p12 yuv420p"]
    reasons = {(e.settings["vcodec"], e.settings.get("crf")): e.reason for e in plan.invalid}
    assert set(reasons) == {("libsvtav1", 64), ("nope", 30), ("nope", 64)}
    assert "crf=64" in reasons[("libsvtav1", 64)] and "[0, 63]" in reasons[("libsvtav1", 64)]
    assert "vcodec='nope'" in reasons[("nope", 30)] and "libsvtav1" in reasons[("nope", 30)]


@pytest.mark.parametrize("threads", [0, -1, "two", True, 1.5])
def test_bad_encoder_threads_are_invalid_entries(threads: object) -> None:
    plan = expand_grid({"vcodec": ["h264"], "encoder_threads": [threads, 2]})
    assert [s.encoder_threads for s in plan.specs] == [2]
    assert len(plan.invalid) == 1
    assert plan.invalid[0].settings["encoder_threads"] == threads
    assert "encoder_threads" in plan.invalid[0].reason


def test_encoder_threads_axis_is_part_of_the_spec_and_label() -> None:
    plan = expand_grid({"vcodec": "h264", "encoder_threads": [None, 1, 2]})
    assert [s.encoder_threads for s in plan.specs] == [None, 1, 2]
    assert [s.label.endswith(" t1") for s in plan.specs] == [False, True, False]


def test_per_codec_mappings_apply_to_their_codec_only_and_missing_codecs_get_defaults() -> None:
    plan = expand_grid(
        {
            "vcodec": ["libsvtav1", "h264"],
            "crf": {"libsvtav1": [30, 40], "h264": [23]},
            "preset": {"h264": ["veryfast", "medium"]},  # no libsvtav1 entry: LeRobot's default preset 12
            "g": [2],
        }
    )
    got = [(s.config.vcodec, s.config.crf, s.config.preset) for s in plan.specs]
    assert got == [
        ("libsvtav1", 30, 12),
        ("libsvtav1", 40, 12),
        ("h264", 23, "veryfast"),
        ("h264", 23, "medium"),
    ]
    assert plan.invalid == []


def test_extra_options_single_mapping_and_per_codec_lists() -> None:
    single = expand_grid({"vcodec": ["h264"], "extra_options": {"profile": "high"}})
    assert [s.config.extra_options for s in single.specs] == [{"profile": "high"}]

    per_codec = expand_grid(
        {
            "vcodec": ["h264", "libsvtav1"],
            "extra_options": {"h264": [{}, {"profile": "high"}], "libsvtav1": [{}]},
        }
    )
    assert [(s.config.vcodec, s.config.extra_options) for s in per_codec.specs] == [
        ("h264", {}),
        ("h264", {"profile": "high"}),
        ("libsvtav1", {}),
    ]


def test_scalars_are_single_values_and_duplicates_collapse() -> None:
    plan = expand_grid({"vcodec": "h264", "crf": 23, "g": [2, 2, 10]})
    assert [(s.config.crf, s.config.g) for s in plan.specs] == [(23, 2), (23, 10)]


def test_g_null_means_encoder_default_gop() -> None:
    plan = expand_grid({"vcodec": ["h264"], "g": [None, 4]})
    assert [s.config.g for s in plan.specs] == [None, 4]


def test_yaml_file_grid(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(
        "vcodec: [h264, libsvtav1]\n"
        "crf:\n  h264: [23, 28]\n  libsvtav1: [35]\n"
        "preset:\n  h264: [veryfast]\n"
        "g: [2]\n"
        "pix_fmt: [yuv444p]\n"
    )
    plan = expand_grid(path)
    assert plan.name == "tiny"
    assert _labels(plan) == ["h264 crf23 g2 pveryfast yuv444p", "h264 crf28 g2 pveryfast yuv444p"]
    assert len(plan.invalid) == 1 and plan.invalid[0].settings["vcodec"] == "libsvtav1"
    # a str path works as well as a Path
    assert _labels(expand_grid(str(path))) == _labels(plan)


def test_unknown_axis_is_a_value_error_naming_the_allowed_axes() -> None:
    with pytest.raises(ValueError) as err:
        expand_grid({"vcodec": ["h264"], "qp": [20]})
    msg = str(err.value)
    assert "'qp'" in msg
    for axis in ("vcodec", "pix_fmt", "g", "crf", "preset", "fast_decode", "extra_options", "encoder_threads"):
        assert axis in msg


def test_unknown_grid_name_is_a_value_error_listing_builtins() -> None:
    with pytest.raises(ValueError, match="neither a built-in grid") as err:
        expand_grid("quik")
    assert "quick" in str(err.value) and "thorough" in str(err.value)


def test_yaml_grid_that_is_not_a_mapping_is_a_value_error(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- h264\n- libsvtav1\n")
    with pytest.raises(ValueError, match="mapping of axis"):
        expand_grid(path)
    bad = tmp_path / "broken.yaml"
    bad.write_text("vcodec: [h264\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        expand_grid(bad)


# ------------------------------------------------------------------------------------------ grid text
def test_axis_text_reads_shared_and_per_codec_values_and_round_trips() -> None:
    from lerobot_videobench.bench.grid import format_axis, parse_axis

    assert parse_axis("20, 30, 40") == [20, 30, 40]
    assert parse_axis("libsvtav1: 12; h264: medium, slow") == {"libsvtav1": [12], "h264": ["medium", "slow"]}
    assert parse_axis("none, 2") == [None, 2]
    assert parse_axis("  ") is None and parse_axis(None) is None
    for value in ([2, 10], {"libsvtav1": [25, 30], "h264": [23]}, [None, 1]):
        assert parse_axis(format_axis(value)) == value


def test_axis_text_error_names_the_axis() -> None:
    from lerobot_videobench.bench.grid import parse_axis
    from lerobot_videobench.errors import InvalidValueError

    with pytest.raises(InvalidValueError, match=r"^crf: cannot read ': 30'"):
        parse_axis("h264: 23; : 30", "crf")


def test_grid_from_axes_is_the_grid_expand_grid_runs() -> None:
    from lerobot_videobench.bench.grid import fits_axes, grid_from_axes
    from lerobot_videobench.errors import InvalidValueError

    grid = grid_from_axes(["h264", "libsvtav1"], (), crf="h264: 23, 30; libsvtav1: 40", g="4",
                          preset="h264: veryfast; libsvtav1: 12", encoder_threads="")
    assert grid == {"vcodec": ["h264", "libsvtav1"], "g": [4], "crf": {"h264": [23, 30], "libsvtav1": [40]},
                    "preset": {"h264": ["veryfast"], "libsvtav1": [12]}}
    assert fits_axes(grid) and not fits_axes(BUILTIN_GRIDS["thorough"])
    assert _labels(expand_grid(grid)) == ["h264 crf23 g4 pveryfast yuv420p", "h264 crf30 g4 pveryfast yuv420p",
                                          "libsvtav1 crf40 g4 p12 yuv420p"]
    with pytest.raises(InvalidValueError, match="select at least one codec"):
        grid_from_axes([], crf="20")
    with pytest.raises(InvalidValueError, match="unknown grid axes"):
        grid_from_axes(["h264"], tune="film")


def test_grid_text_is_read_by_one_parser_for_files_and_text(tmp_path: Path) -> None:
    from lerobot_videobench.bench.grid import grid_to_text, load_grid, parse_grid_text
    from lerobot_videobench.errors import InvalidValueError

    text = grid_to_text(BUILTIN_GRIDS["quick"])
    assert parse_grid_text(text) == BUILTIN_GRIDS["quick"]
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    assert load_grid(path) == ("mine", BUILTIN_GRIDS["quick"])
    with pytest.raises(InvalidValueError, match="the grid YAML must hold a mapping"):
        parse_grid_text("- 1\n- 2", "the grid YAML")
    path.write_text("crf: [20, 30\n")
    with pytest.raises(InvalidValueError, match=f"grid file {path} is not valid YAML"):
        load_grid(path)


@pytest.mark.parametrize("name", sorted(BUILTIN_GRIDS))
def test_builtin_grids_carry_only_training_safe_hevc(name: str) -> None:
    """x265's open GOP loses frames after a seek (g >= 10) and its B-frames trip torchcodec's timestamps in
    LeRobot's RGB training path: the built-in grids carry the fixed variants, never the broken ones."""
    plan = expand_grid(name)
    for spec in plan.specs:
        c = spec.config
        if c.vcodec != "hevc":
            continue
        params = str((c.extra_options or {}).get("x265-params", ""))
        if (c.g or 0) >= 10:
            assert "open-gop=0" in params, spec.label
        if plan.kind == "rgb":
            assert (c.extra_options or {}).get("bf") == 0, spec.label
