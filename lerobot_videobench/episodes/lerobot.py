"""LeRobot datasets as episode sources: layouts v3.0 (episodes concatenated per camera, located by
``meta/episodes`` rows) and v2.1 (one mp4 per episode and camera), video or image storage, on local
disk or on the Hugging Face Hub (through ``huggingface_hub``: only ``meta/`` and the files the chosen
episodes and cameras need are fetched, into the Hub cache, honouring ``HF_HUB_OFFLINE`` and tokens).

Depth cameras (LeRobot 0.6: ``info.is_depth_map``, or the legacy ``video.is_depth_map``, with
``depth_unit``) are read as LeRobot reads them: a video through PyAV ``gray12le`` and the recorded
quantizer (``video.depth_min`` / ``depth_max`` / ``shift`` / ``use_log``) back to millimetres; image
storage as the TIFF (``uint16`` mm or ``float32`` m) LeRobot embeds in the data parquet. Either way the
episode yields HxW ``uint16`` mm.

Everything that can be checked is checked when the episodes are loaded (metadata, files present,
frame counts against the episode ``length``), so a sweep never starts on a broken source.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..encoding import VideoFileError
from ..encoding.config import DEPTH_ENCODER_INFO_FIELD_NAMES, DepthEncoderConfig
from ..errors import InvalidValueError, SourceError
from .episode import DepthSpec, Episode, Provenance, file_source_id
from .files import (
    DepthClipFrames,
    VideoClipFrames,
    check_depth_unit,
    decode_depth_image,
    encoder_settings,
    frames_in_clip,
    is_lossless,
)
from .recorded import RecordedEncoder, recorded_encoder

logger = logging.getLogger(__name__)

CAMERA_DTYPES = ("video", "image")
#: Which cameras ``load_episodes(kind=...)`` returns: RGB cameras, depth cameras, or both.
CAMERA_KINDS = ("rgb", "depth", "all")
_REQUIRED_INFO = ("codebase_version", "fps", "features")


# ---------------------------------------------------------------------------------------- metadata
def read_info(root: Path) -> dict[str, Any]:
    """``meta/info.json`` checked for what the readers rely on; errors name the file and the field."""
    path = root / "meta" / "info.json"
    if not path.is_file():
        raise FileNotFoundError(f"{root} is not a LeRobot dataset: {path} not found")
    try:
        info = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed {path}: not valid JSON ({exc})") from exc
    if not isinstance(info, dict):
        raise ValueError(f"malformed {path}: expected a JSON object, got {type(info).__name__}")
    for name in _REQUIRED_INFO:
        if name not in info:
            raise ValueError(f"malformed {path}: field {name!r} is missing")
    version = str(info["codebase_version"])
    if not re.match(r"^v(2\.\d+|3\.\d+)$", version):
        raise ValueError(f"malformed {path}: codebase_version={version!r} is not supported; allowed: v2.x, v3.x")
    fps = info["fps"]
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or fps <= 0:
        raise ValueError(f"malformed {path}: fps={fps!r} must be a positive number")
    if not isinstance(info["features"], dict):
        raise ValueError(f"malformed {path}: 'features' must be an object of feature name -> description")
    for key, feat in info["features"].items():
        if not isinstance(feat, dict) or "dtype" not in feat:
            raise ValueError(f"malformed {path}: feature {key!r} has no 'dtype'")
    if any(f["dtype"] == "video" for f in info["features"].values()) and not info.get("video_path"):
        raise ValueError(f"malformed {path}: the dataset has video features but no 'video_path' template")
    if not info.get("data_path") and any(f["dtype"] == "image" for f in info["features"].values()):
        raise ValueError(f"malformed {path}: the dataset has image features but no 'data_path' template")
    return info


def _read_episode_rows(root: Path, info: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """``episode_index`` -> metadata row (``length``, file locations), for either layout."""
    rows: dict[int, dict[str, Any]] = {}
    if str(info["codebase_version"]).startswith("v3"):
        import pyarrow.parquet as pq

        files = sorted((root / "meta" / "episodes").glob("chunk-*/file-*.parquet"))
        if not files:
            raise FileNotFoundError(f"{root}: no meta/episodes/chunk-*/file-*.parquet (a v3.0 dataset needs them)")
        for f in files:
            names = pq.read_schema(f).names
            wanted = [n for n in names if not n.startswith("stats/") and n not in ("tasks",)]
            for col in ("episode_index", "length"):
                if col not in names:
                    raise ValueError(f"malformed {f}: column {col!r} is missing")
            for row in pq.read_table(f, columns=wanted).to_pylist():
                rows[int(row["episode_index"])] = row
    else:
        path = root / "meta" / "episodes.jsonl"
        if not path.is_file():
            raise FileNotFoundError(f"{root}: {path} not found (a v2.x dataset needs it)")
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                rows[int(row["episode_index"])] = row
                int(row["length"])
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"malformed {path} line {n}: {exc!r}") from exc
    if not rows:
        raise ValueError(f"{root}: the dataset has no episodes")
    return rows


def _ranges(indices: Sequence[int]) -> str:
    """``0..4, 7, 9..12``: a compact description of available indices for error messages."""
    out, idx = [], sorted(indices)
    start = prev = idx[0]
    for i in idx[1:] + [None]:  # type: ignore[operator]
        if i is not None and i == prev + 1:
            prev = i
            continue
        out.append(f"{start}..{prev}" if prev > start else str(start))
        if i is not None:
            start = prev = i
    return ", ".join(out)


# ---------------------------------------------------------------------------------------- image frames
def _sniff_image(data: bytes) -> tuple[str, bool]:
    """(format, lossy) from an image's magic bytes."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png", False
    if data[:2] == b"\xff\xd8":
        return "jpeg", True
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff", False
    return "unknown", True


def inside_root(root: Path, relpath: str, what: str) -> Path:
    """``root / relpath``, refused when ``relpath`` is absolute or climbs out of ``root`` with ``..``.

    Checked lexically, not by resolving links: Hub cache snapshots are symlinks into a blob store."""
    rel = str(relpath)
    joined = os.path.normpath(os.path.join(str(root), rel))
    if os.path.isabs(rel) or not (joined == os.path.normpath(str(root)) or joined.startswith(os.path.normpath(str(root)) + os.sep)):
        raise SourceError(f"{what} {rel!r} points outside the dataset root {root}; refused")
    return Path(joined)


def _leaf_column(pf: Any, name: str) -> int | None:
    """Index of the top-level scalar column ``name`` among the parquet *leaf* columns (what row-group
    statistics are indexed by), or None. Struct and list columns have one leaf per field, so a column's
    Arrow position is not its parquet index once an image struct or a state vector precedes it."""
    schema = pf.metadata.schema
    for i in range(len(schema)):
        if schema.column(i).path == name:
            return i
    return None


def _row_groups_with(pf: Any, name: str, value: int) -> list[int]:
    """Row groups whose statistics of integer column ``name`` may contain ``value`` (all groups when a
    group has no usable statistics: statistics can only rule a group out, never in)."""
    col = _leaf_column(pf, name)
    groups = list(range(pf.num_row_groups))
    if col is None:
        return groups
    keep = []
    for g in groups:
        st = pf.metadata.row_group(g).column(col).statistics
        lo, hi = (st.min, st.max) if st is not None and st.has_min_max else (None, None)
        numeric = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (lo, hi))
        if not numeric or lo <= value <= hi:
            keep.append(g)
    return keep


@dataclass(frozen=True, eq=False)
class ParquetImageFrames:
    """One episode's frames stored as image structs (``{"bytes", "path"}``) in data parquet files.

    Reads only the image, ``episode_index`` and ``frame_index`` columns, in small batches, skipping
    row groups whose statistics exclude the episode: memory stays flat and other episodes cost I/O only.
    """

    files: tuple[str, ...]
    column: str
    episode_index: int
    num_frames: int
    root: str = ""
    #: Set for a depth camera: its recorded ``depth_unit`` ("" when not recorded: LeRobot's dtype rule).
    depth_unit: str | None = None

    def _cells(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(file, cell) of the episode's rows, in order."""
        import pyarrow.parquet as pq

        for f in self.files:
            pf = pq.ParquetFile(f)
            names = pf.schema_arrow.names
            if self.column not in names:
                raise ValueError(f"{f}: image column {self.column!r} not found; columns: {names}")
            has_ep = "episode_index" in names
            groups = _row_groups_with(pf, "episode_index", self.episode_index) if has_ep else list(
                range(pf.num_row_groups)
            )
            if not groups:
                continue
            cols = [self.column] + (["episode_index"] if has_ep else [])
            for batch in pf.iter_batches(batch_size=16, row_groups=groups, columns=cols):
                images = batch.column(0).to_pylist()
                eps = batch.column(1).to_pylist() if has_ep else [self.episode_index] * len(images)
                for cell, ep in zip(images, eps):
                    if ep == self.episode_index:
                        yield f, cell

    def _where(self, file: str, frame: int) -> str:
        return f"{file}, episode {self.episode_index}, frame {frame}, column {self.column!r}"

    def _bytes(self, cell: Any, file: str = "", frame: int = 0) -> bytes | None:
        """The encoded image of a cell: its ``bytes``, else the file its ``path`` names (inside ``root``)."""
        data = cell.get("bytes") if isinstance(cell, dict) else cell
        if data is None and isinstance(cell, dict) and cell.get("path"):
            root = Path(self.root or Path(file).parent)
            target = inside_root(root, cell["path"], f"{self._where(file, frame)}: image path")
            try:
                data = target.read_bytes()
            except OSError as exc:
                raise SourceError(f"{self._where(file, frame)}: image file {target} cannot be read ({exc})") from exc
        return data

    def _decode(self, cell: Any, file: str = "", frame: int = 0) -> np.ndarray:
        from PIL import Image

        data = self._bytes(cell, file, frame)
        if data is None:
            raise SourceError(f"{self._where(file, frame)}: the image cell holds neither bytes nor a path")
        if self.depth_unit is not None:
            return decode_depth_image(data, self._where(file, frame), self.depth_unit or None)
        try:
            with Image.open(io.BytesIO(data)) as im:
                return np.asarray(im.convert("RGB"))
        except (OSError, SyntaxError, ValueError) as exc:  # PIL.UnidentifiedImageError is an OSError
            raise SourceError(f"{self._where(file, frame)}: corrupt image cell ({exc})") from exc

    def first_bytes(self) -> bytes:
        for f, cell in self._cells():
            return self._bytes(cell, f, 0) or b""
        raise ValueError(f"episode {self.episode_index}: no rows in {list(self.files)}")

    def count(self) -> int:
        import pyarrow.parquet as pq

        n = 0
        for f in self.files:
            pf = pq.ParquetFile(f)
            if "episode_index" not in pf.schema_arrow.names:  # a per-episode file (v2.1): every row counts
                n += pf.metadata.num_rows
                continue
            for batch in pf.iter_batches(batch_size=65536, columns=["episode_index"]):
                n += int(np.count_nonzero(batch.column(0).to_numpy() == self.episode_index))
        return n

    def __call__(self) -> Iterator[np.ndarray]:
        n = 0
        for f, cell in self._cells():
            if n >= self.num_frames:
                break
            yield self._decode(cell, f, n)
            n += 1
        if n < self.num_frames:
            raise ValueError(
                f"episode {self.episode_index}, {self.column}: expected {self.num_frames} frames, read {n}"
            )


# ---------------------------------------------------------------------------------------- the dataset
@dataclass
class LeRobotDataset:
    """A LeRobot dataset's metadata on local disk (a plain folder or a Hub cache snapshot)."""

    root: Path
    info: dict[str, Any]
    episodes: dict[int, dict[str, Any]]
    source: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def open(cls, root: str | os.PathLike, source: str | None = None, notes: tuple[str, ...] = ()) -> LeRobotDataset:
        root = Path(root)
        if not root.exists():
            raise FileNotFoundError(f"dataset folder not found: {root}")
        info = read_info(root)
        return cls(root, info, _read_episode_rows(root, info), source or str(root), notes)

    # ------------------------------------------------------------------ plain facts
    @property
    def version(self) -> str:
        return str(self.info["codebase_version"])

    @property
    def is_v3(self) -> bool:
        return self.version.startswith("v3")

    @property
    def fps(self) -> int:
        return int(round(self.info["fps"]))

    @property
    def cameras(self) -> dict[str, dict[str, Any]]:
        """Camera key -> feature block, for video and image features, in ``info.json`` order."""
        return {k: f for k, f in self.info["features"].items() if f.get("dtype") in CAMERA_DTYPES}

    def feature_info(self, key: str) -> dict[str, Any]:
        feat = self.cameras[key]
        return dict(feat.get("info") or feat.get("video_info") or {})

    def is_depth(self, key: str) -> bool:
        """Whether camera ``key`` is a depth map: ``is_depth_map`` in its ``info`` (LeRobot 0.6), or the
        legacy ``video.is_depth_map`` in ``info`` or ``video_info`` (LeRobot's own ``depth_keys`` rule)."""
        feat = self.cameras[key]
        blocks = [feat.get("info") or {}, feat.get("video_info") or {}]
        return any(bool(b.get("is_depth_map") or b.get("video.is_depth_map")) for b in blocks if isinstance(b, dict))

    def depth_unit(self, key: str) -> str | None:
        """The recorded ``depth_unit`` of depth camera ``key`` (``mm`` or ``m``), None when not recorded;
        any other value is a ``SourceError``."""
        unit = self.feature_info(key).get("depth_unit")
        if unit is None:
            return None
        return check_depth_unit(unit, f"{self.root / 'meta' / 'info.json'}: feature {key!r}")

    def depth_quantizer(self, key: str) -> dict[str, Any]:
        """The quantizer a depth video was recorded with, as LeRobot's reader rebuilds it
        (``DepthEncoderConfig.from_video_info``: recorded ``video.<field>``, defaults for missing or null
        ones); checked, so a bad range is one ``SourceError`` line at load time."""
        info = self.feature_info(key)
        kwargs = {n: info[f"video.{n}"] for n in sorted(DEPTH_ENCODER_INFO_FIELD_NAMES)
                  if info.get(f"video.{n}") is not None}
        try:
            return DepthEncoderConfig(**kwargs).quantizer()
        except (TypeError, ValueError) as exc:
            raise SourceError(f"{self.root / 'meta' / 'info.json'}: feature {key!r} records a depth quantizer "
                              f"LeRobot cannot invert: {exc}") from exc

    def camera_kind(self, key: str) -> str:
        return "depth" if self.is_depth(key) else "rgb"

    def recorded_encoder(self, key: str) -> RecordedEncoder:
        """The encoder settings ``info.json`` records for camera ``key`` (values, nulls, missing fields)."""
        return recorded_encoder(key, self.feature_info(key))

    def shape(self, key: str) -> tuple[int, int]:
        """(height, width) from the feature's ``names``/``shape`` (HWC in recent datasets, CHW in old ones)."""
        feat = self.cameras[key]
        info = self.feature_info(key)
        if info.get("video.height") and info.get("video.width"):
            return int(info["video.height"]), int(info["video.width"])
        shape, names = list(feat.get("shape") or []), list(feat.get("names") or [])
        if "height" in names and "width" in names:
            return int(shape[names.index("height")]), int(shape[names.index("width")])
        if len(shape) == 3:
            return (int(shape[1]), int(shape[2])) if shape[0] in (1, 3, 4) else (int(shape[0]), int(shape[1]))
        raise ValueError(f"{self.source}: cannot tell the resolution of {key!r} from info.json")

    # ------------------------------------------------------------------ selection
    def select_cameras(self, cameras: str | Sequence[str] | None, kind: str | None = None) -> list[str]:
        """Camera keys by full key or short name (``top`` for ``observation.images.top``).

        ``kind`` filters by camera kind: ``"rgb"``, ``"depth"`` or ``"all"``. The default (None) returns
        the named cameras whatever their kind and, when none are named, the RGB cameras (the depth ones
        only when there is no RGB camera): RGB encoder settings are never applied to a depth camera
        nobody asked for.
        """
        available = list(self.cameras)
        if not available:
            raise ValueError(f"{self.source}: no video or image features in info.json")
        check_camera_kind(kind)
        if cameras is None:
            if kind == "all":
                return available
            rgb = [k for k in available if not self.is_depth(k)]
            depth = [k for k in available if self.is_depth(k)]
            if kind is None:
                return rgb or depth
            chosen = rgb if kind == "rgb" else depth
            if not chosen:
                raise ValueError(f"{self.source} has no {kind} camera; cameras: "
                                 + ", ".join(f"{k} ({self.camera_kind(k)})" for k in available))
            return chosen
        wanted = [cameras] if isinstance(cameras, str) else list(cameras)
        out = []
        for name in wanted:
            if name in available:
                key = name
            else:
                short = [k for k in available if k.rsplit(".", 1)[-1] == name]
                if len(short) != 1:
                    raise ValueError(f"camera {name!r} not found in {self.source}; available: {available}")
                key = short[0]
            if kind in ("rgb", "depth") and self.camera_kind(key) != kind:
                raise ValueError(f"camera {name!r} of {self.source} is a {self.camera_kind(key)} camera, "
                                 f"not {kind} (kind={kind!r}); pass kind='all' or leave kind unset")
            out.append(key)
        return list(dict.fromkeys(out))

    def select_episodes(self, episodes: int | Sequence[int] | None) -> list[int]:
        if episodes is None:
            return sorted(self.episodes)
        wanted = [episodes] if isinstance(episodes, (int, np.integer)) else list(episodes)
        out = []
        for e in wanted:
            if isinstance(e, bool) or not isinstance(e, (int, np.integer)):
                raise ValueError(f"episode index {e!r} must be an integer")
            if int(e) not in self.episodes:
                raise ValueError(
                    f"episode {e} out of range; {self.source} has episodes {_ranges(list(self.episodes))}"
                )
            out.append(int(e))
        return list(dict.fromkeys(out))

    # ------------------------------------------------------------------ file locations
    def _chunk(self, ep: int) -> int:
        return ep // int(self.info.get("chunks_size") or 1000)

    def _checked(self, rel: str, field_name: str) -> str:
        inside_root(self.root, rel, f"{self.root / 'meta' / 'info.json'}: {field_name}")
        return rel

    def video_relpath(self, key: str, ep: int) -> str:
        row = self.episodes[ep]
        tpl = self.info["video_path"]
        try:
            if self.is_v3:
                rel = tpl.format(
                    video_key=key, chunk_index=int(row[f"videos/{key}/chunk_index"]),
                    file_index=int(row[f"videos/{key}/file_index"]),
                )
            else:
                rel = tpl.format(episode_chunk=self._chunk(ep), video_key=key, episode_index=ep)
        except KeyError as exc:
            raise ValueError(f"{self.source}: episode {ep} has no {exc.args[0]!r} to locate camera {key!r}") from exc
        return self._checked(rel, "video_path")

    def data_relpaths(self, ep: int) -> list[str]:
        row = self.episodes[ep]
        tpl = self.info["data_path"]
        if self.is_v3:
            if "data/chunk_index" in row and "data/file_index" in row:
                rel = tpl.format(chunk_index=int(row["data/chunk_index"]), file_index=int(row["data/file_index"]))
                return [self._checked(rel, "data_path")]
            return sorted(str(p.relative_to(self.root)) for p in self.root.glob("data/chunk-*/file-*.parquet"))
        return [self._checked(tpl.format(episode_chunk=self._chunk(ep), episode_index=ep), "data_path")]

    def needed_files(self, episodes: Sequence[int], cameras: Sequence[str]) -> list[str]:
        """Relative paths of the files that reading these episodes and cameras touches."""
        files: list[str] = []
        for ep in episodes:
            for key in cameras:
                if self.cameras[key]["dtype"] == "video":
                    files.append(self.video_relpath(key, ep))
                else:
                    files.extend(self.data_relpaths(ep))
        return list(dict.fromkeys(files))

    def missing_episodes(
        self, episodes: Sequence[int] | None = None, cameras: Sequence[str] | None = None
    ) -> list[int]:
        """Episodes listed in the metadata none of whose files (for ``cameras``) is on disk: a partial
        download (``hf download --include ...``), not damage. An episode with some of its files present
        is not listed here; its missing files are a problem for the checks that need them."""
        eps = sorted(self.episodes) if episodes is None else list(episodes)
        cams = list(self.cameras) if cameras is None else list(cameras)
        exists: dict[str, bool] = {}

        def present(rel: str) -> bool:
            if rel not in exists:
                exists[rel] = (self.root / rel).is_file()
            return exists[rel]

        return [ep for ep in eps if not any(present(rel) for rel in self.needed_files([ep], cams))]

    # ------------------------------------------------------------------ episodes
    def episode(self, ep: int, key: str, *, check: bool = True) -> Episode:
        """One (episode, camera) as an :class:`Episode`; ``check`` verifies its frame count cheaply."""
        length = int(self.episodes[ep]["length"])
        if self.cameras[key]["dtype"] == "video":
            return self._video_episode(ep, key, length, check)
        return self._image_episode(ep, key, length, check)

    def _depth_spec(self, key: str, quantizer: dict[str, Any] | None) -> tuple[DepthSpec, tuple[str, ...]]:
        """The episode's :class:`DepthSpec` and the provenance notes that say what the source did to depth."""
        unit = self.depth_unit(key)
        notes: tuple[str, ...] = ()
        if unit is None:
            notes += (f"{key}: depth_unit not recorded in info.json; taken as "
                      + ("mm (the video is dequantized to mm either way)" if quantizer else "the image dtype says"),)
        return DepthSpec(source_unit=unit or "mm", quantizer=quantizer), notes

    def _video_episode(self, ep: int, key: str, length: int, check: bool) -> Episode:
        path = self.root / self.video_relpath(key, ep)
        if not path.is_file():
            raise FileNotFoundError(f"{self.source}: video file for episode {ep}, camera {key!r} not found: {path}")
        row = self.episodes[ep]
        what = f"{self.source} episode {ep}, camera {key!r}"
        if self.is_v3:
            from_ts = float(row.get(f"videos/{key}/from_timestamp") or 0.0)
            to_ts = row.get(f"videos/{key}/to_timestamp")
        else:
            from_ts, to_ts = _first_frame_time(path), None
        if check:
            found = frames_in_clip(path, from_ts, length, self.fps)
            if found != length:
                raise VideoFileError(
                    f"{what}: episode length is {length} frames but {path.name} holds {found} of them "
                    f"(from_timestamp={from_ts:g}s, {self.fps} fps): truncated video, dropped frames or wrong metadata"
                )
            if self.is_v3:
                self._check_no_overlap(ep, key, from_ts, length, path)
            else:
                total = frames_in_clip(path, from_ts, 10**9, self.fps)
                if total > length:
                    raise VideoFileError(
                        f"{what}: {path.name} holds {total} frames but the episode length is {length}: the video "
                        "does not belong to this episode or the metadata is wrong (refused rather than cut)"
                    )
            span = (to_ts - from_ts) * self.fps if to_ts is not None else None
            if span is not None and abs(span - length) > 0.5:
                logger.warning("%s: to_timestamp-from_timestamp spans %.2f frames, length says %d", what, span, length)
        info = self.feature_info(key)
        codec, pix_fmt, settings = info.get("video.codec"), info.get("video.pix_fmt"), encoder_settings(info)
        height, width = self.shape(key)
        source_id = file_source_id(path, "lerobot", ep, key, f"{from_ts!r}", length)
        if self.is_depth(key):
            q = self.depth_quantizer(key)
            depth, notes = self._depth_spec(key, q)
            mode = f"log, shift {q['shift']:g} m" if q["use_log"] else "linear"
            notes += (
                f"{key}: depth was 12-bit quantized by LeRobot ({q['depth_min']:g}-{q['depth_max']:g} m, {mode}) "
                "before encoding, so frames are the quantizer's levels"
                + (" even though the codec is lossless" if _depth_codec_lossless(codec, settings) else "")
                + "; errors are measured against them",
            )
            return Episode(
                camera=key, episode_index=ep, fps=self.fps, width=width, height=height, num_frames=length,
                provenance=Provenance(
                    source=self.source, kind=f"lerobot-{self.version}-video", path=str(path), codec=codec,
                    pix_fmt=pix_fmt, encoder_settings=settings, lossy=True, notes=self.notes + notes,
                ),
                reader=DepthClipFrames(str(path), q, from_timestamp=from_ts, num_frames=length, fps=float(self.fps)),
                source_id=source_id + "|depth|" + json.dumps(q, sort_keys=True),
                depth=depth,
            )
        return Episode(
            camera=key,
            episode_index=ep,
            fps=self.fps,
            width=width,
            height=height,
            num_frames=length,
            provenance=Provenance(
                source=self.source, kind=f"lerobot-{self.version}-video", path=str(path), codec=codec,
                pix_fmt=pix_fmt, encoder_settings=settings, lossy=not is_lossless(codec, pix_fmt, settings),
                notes=self.notes,
            ),
            reader=VideoClipFrames(str(path), from_timestamp=from_ts, num_frames=length, fps=float(self.fps)),
            source_id=source_id,
        )

    def _check_no_overlap(self, ep: int, key: str, from_ts: float, length: int, path: Path) -> None:
        """v3.0: this episode's frames must end before the next episode of the same file starts."""
        where = (self.episodes[ep].get(f"videos/{key}/chunk_index"), self.episodes[ep].get(f"videos/{key}/file_index"))
        starts = [
            float(r.get(f"videos/{key}/from_timestamp") or 0.0)
            for e, r in self.episodes.items()
            if e != ep and (r.get(f"videos/{key}/chunk_index"), r.get(f"videos/{key}/file_index")) == where
        ]
        later = [s for s in starts if s > from_ts + 0.5 / self.fps]
        if later:
            nxt = min(later)
            end = from_ts + length / self.fps
            if end > nxt + 0.5 / self.fps:
                raise SourceError(
                    f"{self.source} episode {ep}, camera {key!r}: its {length} frames from {from_ts:g}s run to "
                    f"{end:g}s, past the next episode's start at {nxt:g}s in {path.name}; the episode metadata "
                    "(length or from_timestamp) is wrong"
                )

    def _image_episode(self, ep: int, key: str, length: int, check: bool) -> Episode:
        files = [self.root / p for p in self.data_relpaths(ep)]
        for f in files:
            if not f.is_file():
                raise FileNotFoundError(f"{self.source}: data file for episode {ep} not found: {f}")
        is_depth = self.is_depth(key)
        reader = ParquetImageFrames(tuple(str(f) for f in files), key, ep, length, str(self.root),
                                    depth_unit=(self.depth_unit(key) or "") if is_depth else None)
        what = f"{self.source} episode {ep}, camera {key!r}"
        if check:
            found = reader.count()
            if found != length:
                raise ValueError(f"{what}: episode length is {length} frames but the data parquet holds {found} rows")
        from PIL import Image

        first = reader.first_bytes()
        fmt, lossy = _sniff_image(first)
        try:
            with Image.open(io.BytesIO(first)) as im:
                width, height = im.size
                mode = im.mode
        except OSError as exc:
            raise SourceError(f"{reader._where(str(files[0]), 0)}: corrupt image cell ({exc})") from exc
        source_id = "|".join([*(file_source_id(f) for f in files), "image", str(ep), key, str(length)])
        if is_depth:
            from .files import depth_image_unit

            stored = depth_image_unit(mode, f"{reader._where(str(files[0]), 0)}: depth feature image")
            depth, notes = self._depth_spec(key, None)
            if self.depth_unit(key) is None:
                depth = DepthSpec(source_unit=stored)
            if depth.source_unit == "m":
                notes += (f"{key}: float32 metres rounded to whole millimetres",)
            return Episode(
                camera=key, episode_index=ep, fps=self.fps, width=width, height=height, num_frames=length,
                provenance=Provenance(
                    source=self.source, kind=f"lerobot-{self.version}-image", path=str(files[0]), codec=fmt,
                    lossy=lossy, notes=self.notes + notes,
                ),
                reader=reader, source_id=source_id + "|depth", depth=depth,
            )
        return Episode(
            camera=key,
            episode_index=ep,
            fps=self.fps,
            width=width,
            height=height,
            num_frames=length,
            provenance=Provenance(
                source=self.source, kind=f"lerobot-{self.version}-image", path=str(files[0]), codec=fmt,
                lossy=lossy, notes=self.notes,
            ),
            reader=reader,
            source_id=source_id,
        )

    def load(
        self,
        episodes: int | Sequence[int] | None = None,
        cameras: str | Sequence[str] | None = None,
        max_frames: int | None = None,
        kind: str | None = None,
    ) -> list[Episode]:
        """One :class:`Episode` per (episode, camera), episode-major; all checked before any is returned.
        ``kind`` is :meth:`select_cameras`'s."""
        eps, cams = self.select_episodes(episodes), self.select_cameras(cameras, kind)
        return [self.episode(e, k).limited(max_frames) for e in eps for k in cams]


def check_camera_kind(kind: str | None) -> None:
    if kind is not None and kind not in CAMERA_KINDS:
        raise InvalidValueError(f"kind={kind!r} is not a camera kind; allowed: {list(CAMERA_KINDS)} (or None)")


def _depth_codec_lossless(codec: str | None, settings: dict[str, Any]) -> bool:
    """Whether the codec stage of a depth video was lossless (x265/AV1 ``lossless=1``, x264 crf 0, ffv1)."""
    if codec in ("ffv1", "png", "rawvideo"):
        return True
    extra = settings.get("extra_options") or {}
    if isinstance(extra, dict) and (str(extra.get("lossless", "")) in ("1", "True")
                                    or "lossless=1" in str(extra.get("x265-params", ""))):
        return True
    return codec == "h264" and settings.get("crf") == 0


def _first_frame_time(path: Path) -> float:
    from .files import _packet_times

    st = path.stat()
    times, _ = _packet_times(str(path.resolve()), st.st_size, st.st_mtime_ns)
    if not len(times):
        raise VideoFileError(f"{path} holds no video frames")
    return float(times[0])


# ---------------------------------------------------------------------------------------- the Hub
_REPO_RE = re.compile(r"^(?:hf://datasets/)?(?P<repo>[A-Za-z0-9][\w.-]*/[\w.-]+?)(?:@(?P<rev>[\w./-]+))?$")


def parse_repo_id(source: str) -> tuple[str, str | None] | None:
    """``org/name[@revision]`` (optionally ``hf://datasets/...``) -> (repo_id, revision), else None."""
    m = _REPO_RE.match(source.strip())
    if not m or source.startswith((".", "/", "~")):
        return None
    return m.group("repo"), m.group("rev")


def _translate_hub_error(exc: Exception, repo_id: str, revision: str | None, what: str) -> Exception:
    from huggingface_hub import constants
    from huggingface_hub import errors as hf_errors

    rev = f" at revision {revision!r}" if revision else ""
    gated = getattr(hf_errors, "GatedRepoError", ())
    if gated and isinstance(exc, gated):
        return PermissionError(f"dataset {repo_id!r} is gated: accept its terms on the Hub and log in (HF_TOKEN)")
    if isinstance(exc, getattr(hf_errors, "RepositoryNotFoundError", ())):
        return FileNotFoundError(
            f"dataset repo {repo_id!r} not found on the Hub "
            "(or it is private: log in with `hf auth login` or set HF_TOKEN)"
        )
    if isinstance(exc, getattr(hf_errors, "RevisionNotFoundError", ())):
        return ValueError(f"revision {revision!r} not found in dataset {repo_id!r}")
    if isinstance(exc, getattr(hf_errors, "EntryNotFoundError", ())) and not isinstance(
        exc, getattr(hf_errors, "LocalEntryNotFoundError", ())
    ):
        return FileNotFoundError(f"{what} not found in dataset {repo_id!r}{rev}")
    not_cached = (getattr(hf_errors, "LocalEntryNotFoundError", ()), getattr(hf_errors, "IncompleteSnapshotError", ()))
    if isinstance(exc, not_cached):
        mode = "HF_HUB_OFFLINE is set" if constants.HF_HUB_OFFLINE else "the Hub cannot be reached"
        return FileNotFoundError(
            f"{what} of dataset {repo_id!r}{rev} is not in the Hub cache ({constants.HF_HUB_CACHE}) and {mode}; "
            "run once online to download it"
        )
    return exc


def open_hub_dataset(
    repo_id: str, revision: str | None = None, *, source: str | None = None, token: Any = None
) -> LeRobotDataset:
    """Fetch ``meta/`` of a Hub dataset (or find it in the cache) and open it; no video is downloaded."""
    from huggingface_hub import snapshot_download

    try:
        snapshot = snapshot_download(
            repo_id, repo_type="dataset", revision=revision, allow_patterns=["meta/*"], token=token
        )
    except Exception as exc:  # noqa: BLE001 - translated to the project's error kinds
        err = _translate_hub_error(exc, repo_id, revision, "meta/")
        if isinstance(err, (FileNotFoundError, PermissionError)) and not Path(source or repo_id).exists():
            # the user may have meant a folder: say that there is none before the Hub's answer
            where = Path(source or repo_id).expanduser().resolve()
            err = type(err)(f"no local folder {where}; as a Hub dataset id: {err}")
        raise err from exc
    root = Path(snapshot)
    if not (root / "meta" / "info.json").is_file():
        raise FileNotFoundError(f"dataset {repo_id!r} has no meta/info.json: it is not a LeRobot dataset")
    commit = root.name
    return LeRobotDataset.open(
        root, source=source or (repo_id + (f"@{revision}" if revision else "")), notes=(f"hub commit {commit}",)
    )


def fetch_hub_files(dataset: LeRobotDataset, repo_id: str, files: Sequence[str], token: Any = None) -> None:
    """Download ``files`` (relative paths) of the dataset's commit into the Hub cache, if not there yet."""
    from huggingface_hub import hf_hub_download

    commit = dataset.root.name
    for rel in files:
        try:
            local = Path(hf_hub_download(repo_id, rel, repo_type="dataset", revision=commit, token=token))
        except Exception as exc:  # noqa: BLE001
            raise _translate_hub_error(exc, repo_id, commit, rel) from exc
        if local.parent != (dataset.root / rel).parent and not (dataset.root / rel).exists():
            raise FileNotFoundError(f"{rel} was downloaded to {local}, outside the snapshot {dataset.root}")


def load_hub_episodes(
    repo_id: str,
    revision: str | None = None,
    episodes: int | Sequence[int] | None = None,
    cameras: str | Sequence[str] | None = None,
    max_frames: int | None = None,
    *,
    source: str | None = None,
    token: Any = None,
    kind: str | None = None,
) -> list[Episode]:
    """Episodes of a Hub dataset: metadata first, then only the files those episodes and cameras need."""
    ds = open_hub_dataset(repo_id, revision, source=source, token=token)
    eps, cams = ds.select_episodes(episodes), ds.select_cameras(cameras, kind)
    needed = ds.needed_files(eps, cams)
    logger.info("%s: fetching %d file(s) for %d episode(s) x %d camera(s)", repo_id, len(needed), len(eps), len(cams))
    fetch_hub_files(ds, repo_id, needed, token=token)
    return [ds.episode(e, k).limited(max_frames) for e in eps for k in cams]
