"""A small LeRobot dataset writer (v3.0 and v2.1 layouts, video or image storage) built on the project's
own encoder: it makes the built-in sample and the test fixtures, so the readers are tested against
files laid out exactly as LeRobot lays them out (``info.json``, ``meta/episodes`` rows with
``videos/<key>/from_timestamp`` as cumulative durations, concatenated per-camera mp4 files, data parquet
columns in LeRobot's order: image structs, then state/action vectors, then indices, one row group per
episode).

Depth cameras (frames HxW or HxWx1, ``uint16`` mm or ``float32`` m) are written as LeRobot 0.6.1
writes them: a ``(H, W, 1)`` feature whose ``info`` holds ``is_depth_map: true`` and ``depth_unit``
(inferred from the first frame's dtype); video storage quantizes to 12 bits and encodes with a
``DepthEncoderConfig`` (its quantizer recorded as ``video.depth_min`` / ``depth_max`` / ``shift`` /
``use_log``), image storage embeds uncompressed TIFF (Pillow ``I;16`` or ``F``, the frame's own dtype
and unit) as ``frame-NNNNNN.tiff`` image cells.

It writes only what the workbench reads (no statistics beyond an empty ``stats.json``); it is not a
replacement for LeRobot's recorder.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..encoding import (
    DepthEncoderConfig,
    VideoEncoderConfig,
    camera_encoder_defaults,
    concatenate_video_files,
    encode_video_frames,
    get_video_duration_in_s,
    get_video_info,
)

from ..encoding.depth import squeeze_single_channel

logger = logging.getLogger(__name__)

V3_DATA_PATH = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
V3_VIDEO_PATH = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
V21_DATA_PATH = "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet"
V21_VIDEO_PATH = "videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4"

#: One episode: camera key -> its frames (a sequence, an iterable, or a callable returning an iterator).
EpisodeFrames = Mapping[str, Any]


def lossless_encoder_config(preset: str | None = None) -> VideoEncoderConfig:
    """HEVC in RGB planes (``gbrp``) with x265 ``lossless=1``: decoding returns the exact RGB frames.

    (yuv444p at crf 0 is not enough: the RGB -> YUV conversion rounds.) One keyframe per episode
    (``g=None``, x265's default interval) keeps lossless files small.
    """
    return VideoEncoderConfig(
        vcodec="hevc", pix_fmt="gbrp", crf=None, g=None, preset=preset,
        extra_options={"x265-params": "lossless=1:log-level=error"},
    )


def _frames_of(source: Any) -> Iterable[np.ndarray]:
    return source() if callable(source) else source


def _is_depth_frame(frame: Any) -> bool:
    """LeRobot's rule for a camera frame: single channel (HxW, HxWx1 or 1xHxW) is depth, 3 channels RGB."""
    a = np.asarray(frame)
    return a.ndim == 2 or (a.ndim == 3 and 1 in (a.shape[0], a.shape[-1]) and a.shape[-1] != 3)


def _peek(source: Any) -> tuple[Any, Iterable[np.ndarray]]:
    """The first frame of a frame source and an iterable that still yields every frame."""
    it = iter(_frames_of(source))
    try:
        first = next(it)
    except StopIteration:
        return None, ()
    return first, itertools.chain([first], it)


def _tiff_bytes(frame: np.ndarray) -> bytes:
    """A depth frame as LeRobot's image writer saves it: Pillow ``fromarray`` of the HxW ``uint16`` or
    ``float32`` array (modes ``I;16`` / ``F``), TIFF with ``compression="raw"``."""
    from PIL import Image

    arr = squeeze_single_channel(np.asarray(frame))
    if arr.ndim != 2 or arr.dtype not in (np.uint16, np.float32):
        raise ValueError(f"depth frame of dtype {arr.dtype} and shape {arr.shape}: LeRobot stores HxW uint16 (mm) "
                         "or float32 (m) depth images")
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(arr)).save(buf, format="TIFF", compression="raw")
    return buf.getvalue()


def _image_bytes(frame: np.ndarray, image_format: str) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    if image_format == "png":
        Image.fromarray(frame).save(buf, format="PNG", compress_level=1)
    else:
        Image.fromarray(frame).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


#: Robot state and action columns (float32 vectors), as LeRobot writes them between images and indices.
VECTOR_FEATURES = ("observation.state", "action")
VECTOR_DIM = 6


def _vector_rows(episode_index: int, length: int) -> dict[str, list[list[float]]]:
    """Deterministic joint-like vectors: not measured, present so the parquet has LeRobot's columns."""
    t = np.arange(length, dtype=np.float32)[:, None]
    j = np.arange(VECTOR_DIM, dtype=np.float32)[None, :]
    state = np.sin(t / 10 + j + episode_index).astype(np.float32)
    return {"observation.state": state.tolist(), "action": (state + 0.01).tolist()}


def _frame_rows(
    episode_index: int, length: int, start_index: int, fps: int, task_index: int = 0
) -> dict[str, list[Any]]:
    return {
        "timestamp": [np.float32(i / fps) for i in range(length)],
        "frame_index": list(range(length)),
        "episode_index": [episode_index] * length,
        "index": list(range(start_index, start_index + length)),
        "task_index": [task_index] * length,
    }


def _feature_block(
    key: str, dtype: str, height: int, width: int, info: dict[str, Any] | None, channels: int = 3
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "dtype": dtype, "shape": [height, width, channels], "names": ["height", "width", "channels"],
    }
    if info is not None:
        block["info"] = info
    return block


_VECTOR_FEATURE_BLOCKS = {
    key: {"dtype": "float32", "shape": [VECTOR_DIM], "names": [f"joint_{i}" for i in range(VECTOR_DIM)]}
    for key in VECTOR_FEATURES
}

_INDEX_FEATURES = {
    "timestamp": {"dtype": "float32", "shape": [1], "names": None},
    "frame_index": {"dtype": "int64", "shape": [1], "names": None},
    "episode_index": {"dtype": "int64", "shape": [1], "names": None},
    "index": {"dtype": "int64", "shape": [1], "names": None},
    "task_index": {"dtype": "int64", "shape": [1], "names": None},
}


def write_lerobot_dataset(
    root: str | os.PathLike,
    episodes: Sequence[EpisodeFrames],
    fps: int = 30,
    *,
    version: str = "v3.0",
    storage: str = "video",
    camera_encoder_config: VideoEncoderConfig | None = None,
    depth_encoder_config: DepthEncoderConfig | None = None,
    image_format: str = "png",
    episodes_per_video_file: int | None = None,
    task: str = "synthetic task",
    robot_type: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write ``episodes`` (each a mapping camera key -> frames) as a LeRobot dataset at ``root``.

    ``storage="video"`` encodes each camera with ``camera_encoder_config`` (LeRobot's defaults when
    None); in v3.0 episodes are concatenated per camera into ``file-YYY.mp4`` files holding at most
    ``episodes_per_video_file`` episodes (all when None). ``storage="image"`` stores frames as PNG or
    JPEG image structs in the data parquet, like LeRobot's ``*_image`` datasets. The dataset is built
    in a temporary directory and renamed into place, so a failure leaves nothing behind.

    A camera whose frames are single-channel is a depth camera (LeRobot's rule): encoded with
    ``depth_encoder_config`` (LeRobot's ``DepthEncoderConfig()`` defaults when None), or stored as TIFF
    cells with image storage (see the module docstring).
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = Path(root)
    if version not in ("v3.0", "v2.1"):
        raise ValueError(f"version={version!r} is not supported; allowed: ['v2.1', 'v3.0']")
    if storage not in ("video", "image"):
        raise ValueError(f"storage={storage!r} is not supported; allowed: ['image', 'video']")
    if image_format not in ("png", "jpeg"):
        raise ValueError(f"image_format={image_format!r} is not supported; allowed: ['jpeg', 'png']")
    if not episodes:
        raise ValueError("episodes is empty: a dataset needs at least one episode")
    cameras = list(episodes[0])
    for i, ep in enumerate(episodes):
        if list(ep) != cameras:
            raise ValueError(f"episode {i} has cameras {list(ep)}, episode 0 has {cameras}; they must match")
    if root.exists():
        if not overwrite:
            raise FileExistsError(f"{root} exists and overwrite=False")
    config = camera_encoder_config or camera_encoder_defaults()
    if depth_encoder_config is not None and not isinstance(depth_encoder_config, DepthEncoderConfig):
        raise ValueError(
            f"depth_encoder_config must be a DepthEncoderConfig, got {type(depth_encoder_config).__name__}"
        )
    depth_config = depth_encoder_config or DepthEncoderConfig()
    per_file = episodes_per_video_file or len(episodes)
    root.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{root.name}-", dir=root.parent))
    try:
        lengths: list[int] = []
        shapes: dict[str, tuple[int, int]] = {}
        video_info: dict[str, dict[str, Any]] = {}
        depth_units: dict[str, str] = {}  # depth camera -> its depth_unit (from the first frame's dtype)
        ep_video: list[dict[str, Any]] = [{} for _ in episodes]
        image_cols: list[dict[str, list[dict[str, Any]]]] = [{} for _ in episodes]
        tmp = work / ".episodes"
        for key in cameras:
            file_paths: list[list[Path]] = []
            for e, ep in enumerate(episodes):
                first_frame, frames = _peek(ep[key])
                is_depth = first_frame is not None and _is_depth_frame(first_frame)
                if e == 0 and is_depth:
                    from ..encoding.depth import infer_depth_unit

                    depth_units[key] = infer_depth_unit(np.asarray(first_frame).dtype)
                elif first_frame is not None and is_depth != (key in depth_units):
                    raise ValueError(f"episode {e}: camera {key!r} is {'depth' if is_depth else 'RGB'} here, "
                                     f"{'depth' if key in depth_units else 'RGB'} in episode 0")
                if storage == "video":
                    path = tmp / key / f"episode_{e:06d}.mp4"
                    cfg = depth_config if key in depth_units else config
                    stats = encode_video_frames(frames, path, fps, cfg, overwrite=True)
                    n, size = stats.frames, (stats.height, stats.width)
                    if e % per_file == 0:
                        file_paths.append([])
                    file_paths[-1].append(path)
                else:
                    cells, size = [], None
                    for frame in frames:
                        if key in depth_units:
                            depth = squeeze_single_channel(np.asarray(frame))
                            size = depth.shape[:2]
                            cells.append({"bytes": _tiff_bytes(depth), "path": f"frame-{len(cells):06d}.tiff"})
                            continue
                        frame = np.asarray(frame, dtype=np.uint8)
                        size = frame.shape[:2]
                        name = f"frame_{len(cells):06d}.{image_format}"
                        cells.append({"bytes": _image_bytes(frame, image_format), "path": name})
                    n = len(cells)
                    image_cols[e][key] = cells
                if key == cameras[0]:
                    lengths.append(n)
                elif n != lengths[e]:
                    raise ValueError(f"episode {e}: camera {key!r} has {n} frames, {cameras[0]!r} has {lengths[e]}")
                if not n:
                    raise ValueError(f"episode {e}: camera {key!r} has no frames")
                shapes[key] = size  # type: ignore[assignment]
            if storage != "video":
                continue
            # lay the per-episode mp4 files out as LeRobot does
            for f, group in enumerate(file_paths):
                e0 = f * per_file
                if version == "v3.0":
                    out = work / V3_VIDEO_PATH.format(video_key=key, chunk_index=0, file_index=f)
                    from_ts = 0.0
                    for j, p in enumerate(group):
                        dur = get_video_duration_in_s(p)
                        ep_video[e0 + j].update(
                            {
                                f"videos/{key}/chunk_index": 0,
                                f"videos/{key}/file_index": f,
                                f"videos/{key}/from_timestamp": from_ts,
                                f"videos/{key}/to_timestamp": from_ts + dur,
                            }
                        )
                        from_ts += dur
                    if len(group) == 1:
                        out.parent.mkdir(parents=True, exist_ok=True)
                        shutil.move(str(group[0]), out)
                    else:
                        concatenate_video_files(group, out)
                else:
                    for j, p in enumerate(group):
                        e = e0 + j
                        out = work / V21_VIDEO_PATH.format(episode_chunk=0, video_key=key, episode_index=e)
                        out.parent.mkdir(parents=True, exist_ok=True)
                        shutil.move(str(p), out)
            first = work / (
                V3_VIDEO_PATH.format(video_key=key, chunk_index=0, file_index=0)
                if version == "v3.0"
                else V21_VIDEO_PATH.format(episode_chunk=0, video_key=key, episode_index=0)
            )
            if key in depth_units:
                # LeRobot 0.6.1: the feature's info ({is_depth_map, depth_unit}) merged with the stream's and the
                # depth encoder's video.* fields; it writes no legacy video.is_depth_map
                probed = {k: v for k, v in get_video_info(first, depth_config).items() if k != "video.is_depth_map"}
                video_info[key] = {"is_depth_map": True, "depth_unit": depth_units[key], **probed}
            else:
                video_info[key] = get_video_info(first, config)
        shutil.rmtree(tmp, ignore_errors=True)

        # per-frame data
        total = sum(lengths)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(int).tolist()
        image_type = pa.struct([("bytes", pa.binary()), ("path", pa.string())])

        vector_type = pa.list_(pa.float32(), VECTOR_DIM)

        def episode_table(e: int) -> pa.Table:
            """One episode's rows in LeRobot's column order: image structs (image storage), then the state
            and action vectors, then the scalar indices (``DEFAULT_FEATURES`` come last)."""
            cols: dict[str, pa.Array] = {k: pa.array(v, type=image_type) for k, v in image_cols[e].items()}
            cols.update({k: pa.array(v, type=vector_type) for k, v in _vector_rows(e, lengths[e]).items()})
            for k, v in _frame_rows(e, lengths[e], starts[e], fps).items():
                cols[k] = pa.array(v, type=pa.float32() if k == "timestamp" else pa.int64())
            return pa.table(cols)

        def write_episodes(path: Path, es: list[int]) -> None:
            """One row group per episode, as LeRobot's recorder (one ``write_table`` per episode) does."""
            path.parent.mkdir(parents=True, exist_ok=True)
            writer = None
            try:
                for e in es:
                    table = episode_table(e)
                    if writer is None:
                        writer = pq.ParquetWriter(path, table.schema, compression="snappy", use_dictionary=True)
                    writer.write_table(table)
            finally:
                if writer is not None:
                    writer.close()

        (work / "meta").mkdir(parents=True, exist_ok=True)
        if version == "v3.0":
            write_episodes(work / V3_DATA_PATH.format(chunk_index=0, file_index=0), list(range(len(episodes))))
            rows = []
            for e, n in enumerate(lengths):
                rows.append(
                    {
                        "episode_index": e,
                        "tasks": [task],
                        "length": n,
                        "data/chunk_index": 0,
                        "data/file_index": 0,
                        "dataset_from_index": starts[e],
                        "dataset_to_index": starts[e] + n,
                        **ep_video[e],
                        "meta/episodes/chunk_index": 0,
                        "meta/episodes/file_index": 0,
                    }
                )
            ep_path = work / "meta/episodes/chunk-000/file-000.parquet"
            ep_path.parent.mkdir(parents=True, exist_ok=True)
            pd.DataFrame(rows).to_parquet(ep_path, index=False)
            pd.DataFrame({"task_index": [0]}, index=pd.Index([task], name="task")).to_parquet(
                work / "meta/tasks.parquet"
            )
        else:
            for e in range(len(episodes)):
                write_episodes(work / V21_DATA_PATH.format(episode_chunk=0, episode_index=e), [e])
            with open(work / "meta/episodes.jsonl", "w") as f:
                for e, n in enumerate(lengths):
                    f.write(json.dumps({"episode_index": e, "tasks": [task], "length": n}) + "\n")
            (work / "meta/tasks.jsonl").write_text(json.dumps({"task_index": 0, "task": task}) + "\n")

        dtype = "video" if storage == "video" else "image"
        features = {
            key: _feature_block(
                key, dtype, shapes[key][0], shapes[key][1],
                video_info.get(key)
                or ({"is_depth_map": True, "depth_unit": depth_units[key]} if key in depth_units else None),
                channels=1 if key in depth_units else 3,
            )
            for key in cameras
        }
        features.update(_VECTOR_FEATURE_BLOCKS)
        features.update(_INDEX_FEATURES)
        n_files = -(-len(episodes) // per_file)
        info: dict[str, Any] = {
            "codebase_version": version,
            "robot_type": robot_type,
            "total_episodes": len(episodes),
            "total_frames": total,
            "total_tasks": 1,
            "chunks_size": 1000,
            "fps": fps,
            "splits": {"train": f"0:{len(episodes)}"},
            "features": features,
        }
        if version == "v3.0":
            info.update(
                {
                    "data_files_size_in_mb": 100,
                    "video_files_size_in_mb": 200,
                    "data_path": V3_DATA_PATH,
                    "video_path": V3_VIDEO_PATH if storage == "video" else None,
                }
            )
        else:
            info.update(
                {
                    "total_videos": len(episodes) * len(cameras) if storage == "video" else 0,
                    "total_chunks": 1,
                    "data_path": V21_DATA_PATH,
                    "video_path": V21_VIDEO_PATH if storage == "video" else None,
                }
            )
        logger.debug("wrote %d episodes x %d cameras (%d video files per camera)", len(episodes), len(cameras), n_files)
        (work / "meta/info.json").write_text(json.dumps(info, indent=4) + "\n")
        (work / "meta/stats.json").write_text("{}\n")
        if root.exists():
            shutil.rmtree(root)
        os.replace(work, root)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return root
