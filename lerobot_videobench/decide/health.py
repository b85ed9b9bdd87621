"""Dataset health: does every episode's video hold the frames its metadata promises, at the times a
LeRobot reader will ask for them?

LeRobot's own docs suggest comparing video duration with episode duration and row count with
``fps x duration``; the failures users hit are subtler (issue #3177 and friends): frames dropped by the
streaming encoder (the mp4 is shorter than the parquet), ``from_timestamp`` values that drift away from
the packets' real PTS in long concatenated files, files from merged datasets encoded differently.
This module checks all of them per (episode, camera), by frame index rather than by float timestamp,
and checks the streams against the encoder settings LeRobot recorded in ``info.json``. Depth cameras
(LeRobot 0.6) are checked the same way, plus what reading them back needs: a known ``depth_unit``, a
quantizer that can be inverted, and a ``gray12le`` stream (what LeRobot's depth reader decodes).

Cost: by default every video file is only *demuxed* (packet timestamps and keyframe flags, no
decoding; a few ms per thousand frames), which is enough to count frames, find missing or duplicate
indices, measure drift and spot truncation. ``decode=True`` also decodes every frame of the checked
episodes to prove they are decodable: about the cost of one full decode of those episodes.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ..encoding import VideoFileError
from ..encoding.video_files import open_video
from ..errors import SourceError
from ..episodes.lerobot import LeRobotDataset, fetch_hub_files, open_hub_dataset, parse_repo_id
from ..episodes.recorded import RecordedEncoder, differing_settings
from ..episodes.sources import partial_download_note

logger = logging.getLogger(__name__)

#: LeRobot's default ``tolerance_s`` when it matches decoded frames to query timestamps.
LEROBOT_TOLERANCE_S = 1e-4
#: Drop rates LeRobot's streaming docs call "expected" (startup spikes) and "overloaded".
STARTUP_DROP_RATE = 0.02
OVERLOAD_DROP_RATE = 0.05
#: Stream fields that must agree across files (and with ``info.json``), or concatenation/merging fails.
STREAM_FIELDS = ("codec", "pix_fmt", "width", "height", "fps")
#: Indices listed in messages before "..." (the full lists stay in the report).
_SHOWN = 8


# ---------------------------------------------------------------------------------------- results
@dataclass
class FileHealth:
    """One video file as demuxed: stream settings, frames readable, keyframe spacing, errors."""

    file: str
    camera: str
    episodes: list[int]
    codec: str | None = None
    pix_fmt: str | None = None
    width: int | None = None
    height: int | None = None
    fps: int | None = None
    time_base: str | None = None
    frames: int = 0
    declared_frames: int | None = None
    duration_s: float | None = None
    max_keyframe_interval: int | None = None
    decoded_frames: int | None = None
    error: str | None = None


@dataclass
class EpisodeHealth:
    """One (episode, camera): what the metadata promises against what the video holds.

    ``found_frames`` counts the episode's frames present in the file: by order when the file holds
    exactly the frames its episodes claim (then drift is measured without the half-frame cap of
    nearest-frame matching), else by frame index ``round((t - from_timestamp) * fps)``.
    ``missing_indices`` are the indices a timestamp-matching reader finds no frame for.
    ``drift_s`` is ``max |pts * time_base - (from_timestamp + i / fps)|`` over the episode's frames.
    """

    episode: int
    camera: str
    file: str
    expected_frames: int
    found_frames: int = 0
    missing_indices: list[int] = field(default_factory=list)
    duplicate_indices: list[int] = field(default_factory=list)
    extra_frames: int = 0
    from_timestamp: float = 0.0
    expected_duration_s: float = 0.0
    video_duration_s: float | None = None
    clip_duration_s: float | None = None
    drift_s: float | None = None
    drift_frames: float | None = None
    drift_at: int | None = None
    drift_method: str = ""
    decoded_frames: int | None = None
    data_rows: int | None = None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def dropped_estimate(self) -> int:
        """Frames the metadata counts but the video lacks (dropped while streaming, or cut off)."""
        return max(0, self.expected_frames - self.found_frames)

    @property
    def drop_rate(self) -> float:
        return self.dropped_estimate / self.expected_frames if self.expected_frames else 0.0

    @property
    def exceeds_lerobot_tolerance(self) -> bool:
        """LeRobot's reader (tolerance 1e-4 s) would raise ``FrameTimestampError`` on this episode."""
        return self.drift_s is not None and self.drift_s > LEROBOT_TOLERANCE_S

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self), "dropped_estimate": self.dropped_estimate, "drop_rate": self.drop_rate,
            "exceeds_lerobot_tolerance": self.exceeds_lerobot_tolerance, "ok": self.ok,
        }


@dataclass
class HealthReport:
    """A dataset's health: ``ok`` when no problem was found; problems and warnings name episode,
    camera, file and numbers; ``episodes`` is the per-(episode, camera) table, ``files`` the probes."""

    source: str
    version: str
    fps: int
    decode: bool
    tolerance_frames: float
    episode_indices: list[int]
    cameras: list[str]
    episodes: list[EpisodeHealth] = field(default_factory=list)
    files: list[FileHealth] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Information that is not a defect: merged settings, cameras recorded differently, partial downloads.
    notes: list[str] = field(default_factory=list)
    #: Per video camera: what ``info.json`` records (:class:`RecordedEncoder` fields) and what the checked
    #: streams hold (``stream``: codecs, pix_fmts, largest keyframe interval).
    recorded_encoder: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Selected episodes listed in meta whose files are not on disk (a partial download): not checked,
    #: not counted as dropped frames.
    missing_episodes: list[int] = field(default_factory=list)
    #: Per depth camera: ``storage`` (video/image), ``depth_unit`` (None: not recorded) and, for video, the
    #: ``quantizer`` LeRobot's reader inverts (``depth_min``/``depth_max``/``shift``/``use_log``).
    depth: dict[str, dict[str, Any]] = field(default_factory=dict)
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def frames_expected(self) -> int:
        return sum(e.expected_frames for e in self.episodes)

    @property
    def frames_dropped(self) -> int:
        return sum(e.dropped_estimate for e in self.episodes)

    def table(self) -> list[dict[str, Any]]:
        """The per-episode table as flat rows (for a DataFrame or a printed table)."""
        return [e.to_dict() for e in self.episodes]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "version": self.version, "fps": self.fps, "decode": self.decode,
            "tolerance_frames": self.tolerance_frames, "episode_indices": self.episode_indices,
            "cameras": self.cameras, "ok": self.ok, "problems": self.problems, "warnings": self.warnings,
            "notes": self.notes, "recorded_encoder": self.recorded_encoder, "missing_episodes": self.missing_episodes,
            "depth": self.depth,
            "frames_expected": self.frames_expected, "frames_dropped": self.frames_dropped,
            "elapsed_s": self.elapsed_s, "episodes": self.table(), "files": [asdict(f) for f in self.files],
        }


# ---------------------------------------------------------------------------------------- probing
@dataclass
class _Probe:
    health: FileHealth
    pts: np.ndarray  # sorted int64 PTS of every readable packet
    time_base: Fraction
    keyframe_pts: np.ndarray


def _probe(path: Path, rel: str, camera: str, episodes: list[int]) -> _Probe:
    """Demux one file (no decoding): stream fields, packet PTS, keyframes; errors are recorded, not raised."""
    import av

    fh = FileHealth(file=rel, camera=camera, episodes=episodes)
    pts: list[int] = []
    keys: list[int] = []
    tb = Fraction(1, 1)
    try:
        with open_video(path) as container:
            stream = container.streams.video[0]
            tb = Fraction(stream.time_base) if stream.time_base else tb
            fh.codec = stream.codec_context.codec.canonical_name
            fh.pix_fmt = stream.codec_context.pix_fmt or (stream.format.name if stream.format else None)
            fh.width, fh.height = stream.width, stream.height
            fh.fps = int(stream.base_rate) if stream.base_rate else None
            fh.time_base = str(tb)
            fh.declared_frames = int(stream.frames) or None
            if stream.duration is not None:
                fh.duration_s = float(stream.duration * tb)
            elif container.duration is not None:
                fh.duration_s = container.duration / av.time_base
            try:
                for packet in container.demux(stream):
                    if packet.size > 0 and packet.pts is not None:
                        pts.append(int(packet.pts))
                        if packet.is_keyframe:
                            keys.append(int(packet.pts))
            except av.FFmpegError as exc:
                fh.error = f"demuxing stopped after {len(pts)} frames ({exc})"
    except FileNotFoundError:
        fh.error = "file not found"
    except (VideoFileError, av.FFmpegError) as exc:
        fh.error = f"unreadable ({exc})"
    arr = np.sort(np.asarray(pts, dtype=np.int64))
    fh.frames = len(arr)
    if fh.error is None and fh.declared_frames and fh.frames < fh.declared_frames:
        fh.error = f"truncated: the header lists {fh.declared_frames} frames, {fh.frames} could be read"
    key_arr = np.sort(np.asarray(keys, dtype=np.int64))
    if len(arr) > 1 and len(key_arr):
        # frames between consecutive keyframes, the last GOP running to the end of the file
        positions = np.searchsorted(arr, key_arr)
        gaps = np.diff(np.append(positions, len(arr)))
        fh.max_keyframe_interval = int(gaps.max())
    return _Probe(fh, arr, tb, key_arr)


def _decode_pts(path: Path, until_pts: int) -> tuple[np.ndarray, str | None]:
    """PTS of every frame that decodes, up to ``until_pts``; the error that stopped decoding, if any."""
    import av

    out: list[int] = []
    try:
        with open_video(path) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                out.append(int(frame.pts))
                if frame.pts >= until_pts:
                    break
    except (VideoFileError, FileNotFoundError, av.FFmpegError) as exc:
        return np.asarray(sorted(out), dtype=np.int64), f"decoding failed after {len(out)} frames ({exc})"
    return np.asarray(sorted(out), dtype=np.int64), None


# ---------------------------------------------------------------------------------------- helpers
def _indices(values: Sequence[int]) -> str:
    """``3, 4, 5`` or ``3..40 (38)``: index lists short enough for one message line."""
    v = list(values)
    if not v:
        return ""
    if len(v) > 2 and v[-1] - v[0] == len(v) - 1:
        return f"{v[0]}..{v[-1]}"
    shown = ", ".join(str(i) for i in v[:_SHOWN])
    return shown + (f", ... ({len(v)} in all)" if len(v) > _SHOWN else "")


def _drop_hint(rate: float) -> str:
    if rate >= OVERLOAD_DROP_RATE:
        return "if recorded with streaming encoding, ~5% or more means the encoder was overloaded"
    if rate <= STARTUP_DROP_RATE:
        return "if recorded with streaming encoding, up to ~2% is what LeRobot's docs call expected (startup spikes)"
    return "if recorded with streaming encoding, between LeRobot's ~2% (startup spikes) and ~5% (overload)"


def _open(dataset: Any, token: Any) -> tuple[LeRobotDataset, str | None]:
    """A local root or a Hub ``org/name[@rev]`` (meta only); the repo id when it came from the Hub."""
    if isinstance(dataset, LeRobotDataset):
        return dataset, None
    from ..episodes.sample import is_sample, sample_path

    if is_sample(os.fspath(dataset)):  # like every other command
        return LeRobotDataset.open(sample_path(os.fspath(dataset)), source=os.fspath(dataset)), None
    path = Path(os.fspath(dataset)).expanduser()
    if path.exists():
        return LeRobotDataset.open(path), None
    parsed = parse_repo_id(str(dataset))
    if parsed is None:
        raise FileNotFoundError(
            f"dataset not found: {dataset} is neither a folder nor a Hub repo id (org/name[@revision])"
        )
    repo_id, revision = parsed
    return open_hub_dataset(repo_id, revision, token=token), repo_id


def _data_rows(ds: LeRobotDataset, episodes: list[int]) -> tuple[dict[int, int], list[str]]:
    """Rows per episode in the data parquet files (local files only: footers or one int column)."""
    import pyarrow.parquet as pq

    counts: dict[int, int] = {}
    problems: list[str] = []
    by_file: dict[str, list[int]] = {}
    for ep in episodes:
        for rel in ds.data_relpaths(ep):
            by_file.setdefault(rel, []).append(ep)
    for rel, eps in by_file.items():
        path = ds.root / rel
        if not path.is_file():
            problems.append(f"episode(s) {_indices(eps)}: data file {rel} not found")
            continue
        try:
            pf = pq.ParquetFile(path)
            if not ds.is_v3 or "episode_index" not in pf.schema_arrow.names:
                if len(eps) == 1 and not ds.is_v3:
                    counts[eps[0]] = counts.get(eps[0], 0) + pf.metadata.num_rows
                continue
            col = pf.read(columns=["episode_index"]).column(0).to_numpy()
        except Exception as exc:  # noqa: BLE001 - a broken parquet is a finding, not a crash
            problems.append(f"episode(s) {_indices(eps)}: data file {rel} is unreadable ({exc})")
            continue
        values, n = np.unique(col, return_counts=True)
        found = dict(zip(values.tolist(), n.tolist()))
        for ep in eps:
            counts[ep] = counts.get(ep, 0) + int(found.get(ep, 0))
    return counts, problems


# ---------------------------------------------------------------------------------------- checks
_CODEC_ALIASES = {
    "libsvtav1": "av1", "libaom-av1": "av1", "libdav1d": "av1", "libx264": "h264", "libx265": "hevc", "h265": "hevc",
}


def _same(name: str, got: Any, want: Any) -> bool:
    """Stream value against an ``info.json`` value: 30 equals 30.0, ``libsvtav1`` output reads ``av1``."""
    if name == "codec":
        return _CODEC_ALIASES.get(str(got), str(got)) == _CODEC_ALIASES.get(str(want), str(want))
    if isinstance(want, (int, float)) and not isinstance(want, bool):
        return float(got) == float(want)
    return str(got) == str(want)


def _check_stream(
    fh: FileHealth, expected: dict[str, Any], fps: int, reference: FileHealth | None
) -> tuple[list[str], list[str]]:
    """Stream fields against ``info.json`` (and the camera's first file); GOP against ``video.g``."""
    problems, warnings = [], []
    where = f"{fh.file} (camera {fh.camera}, episode(s) {_indices(fh.episodes)})"
    for name in STREAM_FIELDS:
        got = getattr(fh, name)
        want = expected.get(f"video.{name}")
        if name == "fps" and want is None:
            want = fps
        if want is not None and got is not None and not _same(name, got, want):
            problems.append(f"{where}: {name} is {got}, info.json says video.{name}={want}")
        elif want is None and reference is not None and got != getattr(reference, name):
            problems.append(f"{where}: {name} is {got}, {reference.file} has {getattr(reference, name)}")
    return problems, warnings


def _check_gop(fh: FileHealth, g: int | None, longest_episode: int) -> tuple[list[str], list[str]]:
    """The measured keyframe spacing against the recorded ``video.g``.

    A GOP longer than ``g`` cannot come from an encoder given ``g`` (a problem: info.json misdescribes the
    file). Shorter GOPs are normal (x264 closes GOPs a frame early, scene cuts, episode ends), so only a
    file whose longest GOP is under half of ``g`` although an episode holds ``g`` frames is flagged, as a
    warning.
    """
    problems, warnings = [], []
    interval = fh.max_keyframe_interval
    if g is None or not interval or fh.error:
        return problems, warnings
    where = f"{fh.file} (camera {fh.camera}, episode(s) {_indices(fh.episodes)})"
    if interval > g:
        problems.append(
            f"{where}: keyframes up to {interval} frames apart, but info.json records video.g={g}: "
            "the file was encoded with other settings than info.json says"
        )
    elif 2 * interval < g and longest_episode >= g:
        warnings.append(
            f"{where}: keyframes at most {interval} frames apart in episodes of up to {longest_episode} frames, "
            f"but info.json records video.g={g}: probably encoded with a smaller g than recorded"
        )
    return problems, warnings


def _recorded_notes(recorded: list[RecordedEncoder]) -> list[str]:
    """Information about the recorded settings themselves: nulls left by a merge, cameras recorded with
    different settings, settings never recorded. None of it is a defect on its own."""
    notes = []
    for rec in recorded:
        if rec.null_fields:
            notes.append(
                f"camera {rec.camera}: info.json records {', '.join('video.' + n for n in rec.null_fields)} as null "
                "(what merging datasets recorded with different settings leaves); those settings are unknown, "
                "the streams are checked on their own"
            )
    unrecorded = [rec.camera for rec in recorded if not rec.recorded]
    if unrecorded:
        notes.append(
            f"camera(s) {', '.join(unrecorded)}: info.json records no encoder settings (g, crf, preset, ...): "
            "written before LeRobot 0.6; only codec and pix_fmt are checked"
        )
    for name, by_camera in differing_settings(recorded).items():
        shown = ", ".join(f"{cam}={'null' if v is None else v}" for cam, v in by_camera.items())
        notes.append(f"cameras recorded with different video.{name}: {shown}")
    return notes


#: What LeRobot's depth reader decodes (``to_ndarray("gray12le")``); LeRobot's writer always produces it.
DEPTH_PIX_FMT = "gray12le"


def _check_depth(ds: LeRobotDataset, key: str, report: HealthReport) -> None:
    """A depth camera's metadata: the unit and quantizer a reader needs; the facts go to ``report.depth``."""
    storage = ds.cameras[key]["dtype"]
    entry: dict[str, Any] = {"storage": storage, "depth_unit": None, "quantizer": None}
    try:
        entry["depth_unit"] = ds.depth_unit(key)
    except SourceError as exc:
        report.problems.append(str(exc))
        entry["depth_unit"] = ds.feature_info(key).get("depth_unit")
    if entry["depth_unit"] is None:
        report.notes.append(
            f"depth camera {key}: info.json records no depth_unit; LeRobot returns its frames as stored, without "
            "unit conversion"
            + (" (the video is dequantized to the requested unit either way)" if storage == "video" else "")
        )
    if storage == "video":
        try:
            entry["quantizer"] = ds.depth_quantizer(key)
        except SourceError as exc:
            report.problems.append(str(exc))
        info = ds.feature_info(key)
        absent = [f"video.{n}" for n in ("depth_min", "depth_max", "shift", "use_log")
                  if info.get(f"video.{n}") is None]
        if absent:
            report.notes.append(
                f"depth camera {key}: info.json records no {', '.join(absent)}; LeRobot's reader dequantizes with "
                "its defaults for them (0.01-10 m, shift 3.5 m, log), which is wrong if the video was recorded "
                "otherwise"
            )
    report.depth[key] = entry


def _check_depth_stream(fh: FileHealth) -> list[str]:
    if fh.pix_fmt is None or fh.pix_fmt == DEPTH_PIX_FMT:
        return []
    return [
        f"{fh.file} (depth camera {fh.camera}, episode(s) {_indices(fh.episodes)}): pix_fmt is {fh.pix_fmt}, but "
        f"LeRobot's depth reader decodes {DEPTH_PIX_FMT} 12-bit codes: the frames it returns are converted, not the "
        "quantized depth that was recorded"
    ]


def _stream_summary(files: list[FileHealth]) -> dict[str, Any]:
    readable = [f for f in files if f.codec is not None]
    intervals = [f.max_keyframe_interval for f in readable if f.max_keyframe_interval]
    return {
        "files": len(files), "codecs": sorted({f.codec for f in readable}),
        "pix_fmts": sorted({str(f.pix_fmt) for f in readable}),
        "max_keyframe_interval": max(intervals) if intervals else None,
    }


def _check_episode(
    row: EpisodeHealth,
    probe: _Probe,
    fps: int,
    offset: int | None,
    meta_duration: float | None,
    decoded: np.ndarray | None,
    one_episode_file: bool,
) -> np.ndarray:
    """Fill ``row`` from the file's packets; returns the PTS attributed to the episode."""
    n = row.expected_frames
    tb = float(probe.time_base)
    times = probe.pts * tb
    idx = np.rint((times - row.from_timestamp) * fps).astype(np.int64)
    window = (idx >= 0) & (idx < n)
    if meta_duration is not None:  # v3: never count the next episode's frames as this one's
        window &= times < row.from_timestamp + meta_duration - 0.5 / fps
    uniq, counts = np.unique(idx[window], return_counts=True)
    row.missing_indices = np.setdiff1d(np.arange(n), uniq).tolist()
    row.duplicate_indices = uniq[counts > 1].tolist()
    expected_t = row.from_timestamp + np.arange(n) / fps
    if offset is not None:  # the file holds exactly its episodes' frames: align by order
        mine = probe.pts[offset:offset + n]
        row.found_frames = len(mine)
        diff = mine * tb - expected_t[: len(mine)]
        row.drift_method = "order"
    else:
        mine = probe.pts[window]
        row.found_frames = len(uniq)
        diff = times[window] - (row.from_timestamp + idx[window] / fps)
        row.drift_method = "index"
        if one_episode_file:
            row.extra_frames = int(np.count_nonzero(idx >= n))
    if len(diff):
        at = int(np.argmax(np.abs(diff)))
        row.drift_s = float(abs(diff[at]))
        row.drift_frames = row.drift_s * fps
        row.drift_at = at if offset is not None else int(idx[window][at])
    if len(mine):
        row.clip_duration_s = float((mine.max() - mine.min()) * tb) + 1.0 / fps
    row.video_duration_s = meta_duration if meta_duration is not None else probe.health.duration_s
    if decoded is not None:
        row.decoded_frames = int(np.count_nonzero(np.isin(mine, decoded)))
    return mine


def _judge(row: EpisodeHealth, is_v3: bool, tolerance_frames: float, fps: int, damaged: bool) -> None:
    """Turn the numbers of one (episode, camera) into problems and warnings; ``damaged``: the file is
    truncated or unreadable, so missing frames are not streaming drops."""
    where = f"episode {row.episode}, camera {row.camera} ({row.file})"
    expected_s = row.expected_duration_s
    dur = row.video_duration_s
    dur_label = "to_timestamp - from_timestamp" if is_v3 else "video duration"
    if row.found_frames < row.expected_frames:
        missing = row.dropped_estimate
        text = (
            f"{where}: {missing} of {row.expected_frames} frames missing ({100 * row.drop_rate:.1f}%): "
            f"the video holds {row.found_frames} frames for length {row.expected_frames}"
        )
        if row.missing_indices:
            text += f"; no frame at indices {_indices(row.missing_indices)}"
        if dur is not None:
            text += f"; {dur_label} {dur:.4g} s for {expected_s:.4g} s expected"
        hint = "the video file is truncated or unreadable" if damaged else _drop_hint(row.drop_rate)
        row.problems.append(f"{text} ({hint})")
    elif dur is not None and abs(dur * fps - row.expected_frames) > tolerance_frames:
        row.problems.append(
            f"{where}: {dur_label} is {dur:.6g} s = {dur * fps:.2f} frames, but length is "
            f"{row.expected_frames} frames ({expected_s:.6g} s at {fps} fps)"
        )
    if row.duplicate_indices:
        row.problems.append(f"{where}: more than one frame at indices {_indices(row.duplicate_indices)}")
    if row.drift_s is not None:
        if row.drift_frames is not None and row.drift_frames > tolerance_frames:
            text = (
                f"{where}: timestamp drift {row.drift_frames:.2f} frames ({1000 * row.drift_s:.2f} ms) at frame "
                f"{row.drift_at}, over the {tolerance_frames:g}-frame tolerance: from_timestamp="
                f"{row.from_timestamp:.6f} s does not match the packets' PTS, so readers return neighbouring frames"
            )
            if row.found_frames >= row.expected_frames and row.missing_indices:
                text += f" (no frame at the expected time of indices {_indices(row.missing_indices)})"
            row.problems.append(text)
        elif row.exceeds_lerobot_tolerance:
            row.warnings.append(
                f"{where}: timestamp drift {1000 * row.drift_s:.3f} ms ({row.drift_frames:.3f} frames) at frame "
                f"{row.drift_at} exceeds LeRobot's default tolerance_s=1e-4: its reader raises FrameTimestampError "
                "there unless tolerance_s is raised"
            )
    if row.extra_frames:
        row.warnings.append(
            f"{where}: the video holds {row.extra_frames} frame(s) past the episode's length {row.expected_frames}"
        )
    if row.decoded_frames is not None and row.decoded_frames < row.found_frames:
        row.problems.append(f"{where}: only {row.decoded_frames} of the {row.found_frames} frames present decode")


def check_health(
    dataset: str | os.PathLike | LeRobotDataset,
    *,
    episodes: int | Sequence[int] | None = None,
    cameras: str | Sequence[str] | None = None,
    decode: bool = False,
    tolerance_frames: float = 0.5,
    token: Any = None,
) -> HealthReport:
    """Check every selected (episode, camera) of a LeRobot dataset (local root or Hub ``org/name[@rev]``).

    Per episode and camera: frames found in the video against ``length``, missing and duplicate frame
    indices, video duration against ``length / fps``, timestamp drift against ``from_timestamp + i/fps``
    (flagged above ``tolerance_frames``; LeRobot's 1e-4 s tolerance noted), and the dropped-frame
    estimate. Per file: stream settings against ``info.json`` and across files, truncation, keyframe
    spacing against the recorded ``video.g`` (a longer GOP is a problem). Per camera: the encoder
    settings ``info.json`` records (``recorded_encoder``), with notes for nulls left by a merge and for
    cameras recorded differently (information, not problems). Per episode: data rows against ``length``
    (metadata indices for v3, and the data parquet files when they are local). Episodes listed in meta
    with none of their files on a local disk are a partial download: one note, not checked, not counted
    as dropped. On the Hub only ``meta/`` and the needed videos are fetched. ``decode=True`` also
    decodes the frames (see the module docstring for the cost).
    """
    if not isinstance(tolerance_frames, (int, float)) or isinstance(tolerance_frames, bool) or not tolerance_frames > 0:
        raise ValueError(f"tolerance_frames={tolerance_frames!r} must be a positive number of frames")
    t0 = time.perf_counter()
    ds, repo_id = _open(dataset, token)
    # every camera by default, depth ones included: a health check skips nothing it was not told to
    eps, cams = ds.select_episodes(episodes), ds.select_cameras(cameras, "all" if cameras is None else None)
    fps = ds.fps
    video_cams = [k for k in cams if ds.cameras[k]["dtype"] == "video"]
    report = HealthReport(
        source=ds.source, version=ds.version, fps=fps, decode=bool(decode), tolerance_frames=float(tolerance_frames),
        episode_indices=eps, cameras=cams,
    )
    for key in cams:
        if key not in video_cams:
            report.warnings.append(f"camera {key} is stored as images: only the data row counts are checked")
        if ds.is_depth(key):
            _check_depth(ds, key, report)
    if repo_id is not None and video_cams:
        fetch_hub_files(ds, repo_id, ds.needed_files(eps, video_cams), token=token)
    # a local partial download: episodes with none of their files on disk are skipped, with one line
    report.missing_episodes = ds.missing_episodes(eps, cams) if repo_id is None else []
    if report.missing_episodes:
        if len(report.missing_episodes) == len(eps):
            report.problems.append(
                f"none of the {len(eps)} selected episode(s) has its files on disk: nothing could be checked"
            )
        else:
            report.notes.append(partial_download_note(report.missing_episodes, len(eps)))
    selected = set(eps) - set(report.missing_episodes)
    recorded = [ds.recorded_encoder(key) for key in video_cams]
    report.notes += _recorded_notes(recorded)

    for key, rec in zip(video_cams, recorded):
        expected_info = ds.feature_info(key)
        camera_files: list[FileHealth] = []
        # every episode of a file (selected or not) is needed to know where each one starts in it
        layout: dict[str, list[int]] = {}
        for ep in sorted(ds.episodes) if ds.is_v3 else eps:
            layout.setdefault(ds.video_relpath(key, ep), []).append(ep)
        reference: FileHealth | None = None

        def start(ep: int, key: str = key) -> float:
            """Where LeRobot looks for the episode's first frame: v3 ``from_timestamp``, v2.1 the file start."""
            return float(ds.episodes[ep].get(f"videos/{key}/from_timestamp") or 0.0) if ds.is_v3 else 0.0

        for rel, members in layout.items():
            if not selected.intersection(members):
                continue
            members.sort(key=lambda ep: (start(ep), ep))
            path = ds.root / rel
            probe = _probe(path, rel, key, members)
            fh = probe.health
            report.files.append(fh)
            camera_files.append(fh)
            missing_file = fh.error == "file not found"
            if fh.error and not missing_file:
                report.problems.append(f"{rel} (camera {key}, episode(s) {_indices(members)}): {fh.error}")
            lengths = [int(ds.episodes[ep]["length"]) for ep in members]
            if fh.codec is not None:
                problems, warnings = _check_stream(fh, expected_info, fps, reference)
                gop_problems, gop_warnings = _check_gop(fh, rec.g, max(lengths))
                if ds.is_depth(key):
                    problems += _check_depth_stream(fh)
                report.problems += problems + gop_problems
                report.warnings += warnings + gop_warnings
                reference = reference or fh
            aligned = fh.error is None and fh.frames == sum(lengths)
            decoded = None
            if decode and fh.frames:
                # stop after the last selected episode when its frames are known by position
                last = max(i for i, ep in enumerate(members) if ep in selected)
                end = sum(lengths[: last + 1]) if aligned else len(probe.pts)
                until = int(probe.pts[end - 1])
                decoded, error = _decode_pts(path, until)
                fh.decoded_frames = len(decoded)
                if error:
                    report.problems.append(f"{rel} (camera {key}): {error}")
            offset = 0
            claimed = np.zeros(len(probe.pts), dtype=bool)
            for ep, n in zip(members, lengths):
                row = ds.episodes[ep]
                from_ts = start(ep)
                meta_duration = None
                if ds.is_v3 and row.get(f"videos/{key}/to_timestamp") is not None:
                    meta_duration = float(row[f"videos/{key}/to_timestamp"]) - from_ts
                health = EpisodeHealth(
                    episode=ep, camera=key, file=rel, expected_frames=n, from_timestamp=from_ts,
                    expected_duration_s=n / fps,
                )
                mine = _check_episode(
                    health, probe, fps, offset if aligned else None, meta_duration, decoded, not ds.is_v3
                )
                claimed |= np.isin(probe.pts, mine)
                offset += n
                if ep not in selected:
                    continue
                if missing_file:
                    health.problems.append(
                        f"episode {ep}, camera {key}: video file {rel} not found ({n} frames expected)"
                    )
                else:
                    _judge(health, ds.is_v3, tolerance_frames, fps, damaged=fh.error is not None)
                report.episodes.append(health)
            if ds.is_v3 and fh.error is None and not claimed.all():
                report.warnings.append(
                    f"{rel} (camera {key}): {int((~claimed).sum())} of its {fh.frames} frames belong to no episode"
                )
        report.recorded_encoder[key] = {**rec.to_dict(), "stream": _stream_summary(camera_files)}

    # data rows against length
    rows_by_ep: dict[int, int] = {}
    if ds.is_v3:
        for ep in eps:
            r = ds.episodes[ep]
            if r.get("dataset_from_index") is not None and r.get("dataset_to_index") is not None:
                span = int(r["dataset_to_index"]) - int(r["dataset_from_index"])
                if span != int(r["length"]):
                    report.problems.append(
                        f"episode {ep}: dataset_to_index - dataset_from_index = {span} rows, "
                        f"length says {int(r['length'])}"
                    )
    if repo_id is None and ds.info.get("data_path"):
        rows_by_ep, data_problems = _data_rows(ds, [ep for ep in eps if ep in selected])
        report.problems += data_problems
        for ep, n in sorted(rows_by_ep.items()):
            length = int(ds.episodes[ep]["length"])
            if n != length:
                report.problems.append(
                    f"episode {ep}: the data parquet holds {n} rows, length says {length} "
                    f"({length / fps:g} s at {fps} fps)"
                )
    for health in report.episodes:
        health.data_rows = rows_by_ep.get(health.episode)
        report.problems += health.problems
        report.warnings += health.warnings
    report.episodes.sort(key=lambda h: (h.episode, cams.index(h.camera)))
    report.elapsed_s = time.perf_counter() - t0
    return report
