"""``lerobot-videobench inspect SOURCE``: what a source holds (episodes, cameras, rate, resolution,
codec and recorded encoder settings, hours of video) and whether it is already lossy."""

from __future__ import annotations

import argparse

from ._output import format_table, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "inspect",
        help="episodes, cameras (RGB and depth), codec and encoder settings of a source (dataset, Hub id, video, "
             "image folder, sample)",
    )
    p.add_argument(
        "source", help="LeRobot dataset folder, Hub dataset id org/name[@rev], video file, PNG or TIFF folder, "
                       "or 'sample'"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def _settings(camera) -> str:
    """Recorded settings; ``null`` marks a field a merge left unknown."""
    if camera.recorded_encoder is not None:
        shown = camera.recorded_encoder.encoder_settings()
        return " ".join(f"{k}={'null' if v is None else v}" for k, v in shown.items() if v not in ({}, ""))
    shown = {k: v for k, v in camera.encoder_settings.items() if v not in (None, {}, "")}
    return " ".join(f"{k}={v}" for k, v in shown.items())


def _recorded_notes(info) -> list[str]:
    notes = []
    for c in info.cameras:
        rec = c.recorded_encoder
        if rec is None:
            continue
        if rec.null_fields:
            notes.append(f"{c.key}: info.json records {', '.join(rec.null_fields)} as null "
                         "(datasets with different settings were merged)")
        if rec.missing_fields and not rec.recorded:
            notes.append(f"{c.key}: info.json records no encoder settings (written before LeRobot 0.6)")
    return notes


def _any_lossy(cameras) -> bool | None:
    flags = [c.lossy for c in cameras]
    return True if any(f is True for f in flags) else (None if any(f is None for f in flags) else False)


def _hours(h: float) -> str:
    return f"{h:.2f} h" if h >= 0.1 else f"{h * 3600:.1f} s ({h:.4f} h)"


def run(args: argparse.Namespace) -> int:
    from ..episodes import describe_source

    info = describe_source(args.source)
    if args.json:
        print_json(info.to_dict())
        return 0
    eps = info.episodes
    ep_text = f"{len(eps)}" + (f" (indices {eps[0]}..{eps[-1]})" if len(eps) > 1 else "")
    print(f"source:    {info.source}  [{info.kind}{', ' + info.version if info.version else ''}]")
    if info.path:
        print(f"path:      {info.path}")
    print(f"episodes:  {ep_text}, {info.total_frames} frames at {info.fps} fps")
    print(f"duration:  {_hours(info.duration_hours)} per camera, {_hours(info.video_hours)} of video in total")
    lossy = {True: "yes (already compressed: quality is measured against decoded frames)", False: "no",
             None: "unknown"}[_any_lossy(info.rgb_cameras) if info.rgb_cameras else info.lossy]
    if info.rgb_cameras and info.depth_cameras:
        depth = {True: "yes (12-bit quantized by LeRobot: errors are measured against the dequantized depth)",
                 False: "no", None: "unknown"}[_any_lossy(info.depth_cameras)]
        lossy = f"{lossy}; depth cameras: {depth}"
    print(f"lossy:     {lossy}")
    print()
    rows = [
        [c.key, c.kind, f"{c.width}x{c.height}", c.fps, c.storage, c.codec or "", c.pix_fmt or "",
         {True: "yes", False: "no", None: "?"}[c.lossy], _settings(c)]
        for c in info.cameras
    ]
    headers = ["camera", "kind", "resolution", "fps", "storage", "codec", "pix_fmt", "lossy", "encoder settings"]
    print(format_table(headers, rows))
    for c in info.depth_cameras:
        print(f"depth:     {depth_line(c)}")
    for note in [*info.notes, *_recorded_notes(info)]:
        print(f"note: {note}")
    return 0


def depth_line(camera) -> str:
    return f"{camera.key}: {camera.depth_summary()}"
