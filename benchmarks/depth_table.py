"""Reproduce the shape of the LeRobot maintainers' depth table (PR #3644) on the same two synthetic
patterns: a smooth ramp and planes with sharp edges, encoded with LeRobot's depth path (12-bit log
quantizer, gray12le, hevc) lossless, crf 0 and crf 30 (x265 lossless off), beside their figures.

"codec" errors compare decoded depth with the quantizer's own output (what the codec adds); "total"
errors compare with the exact source depth (quantization floor + codec).

    PATH=/work/bin:$PATH vb-run python benchmarks/depth_table.py [--frames 30] [--size 320x240]

Sizes and errors are deterministic for one x265 build, so no timing lock is needed (no speed is reported).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import describe_machine  # noqa: E402

from lerobot_videobench.bench.depth_metrics import depth_frame_error, summarize_depth_errors  # noqa: E402
from lerobot_videobench.encoding import (  # noqa: E402
    DepthEncoderConfig,
    dequantize_depth,
    encode_video_frames,
    iter_video_frames,
    library_versions,
    quantize_depth,
)
from lerobot_videobench.episodes.depth_patterns import depth_planes, depth_ramp  # noqa: E402

#: The maintainers' figures (PR #3644 thread): size KB, mean mm, max mm, edge-pixel mean mm.
THEIRS = {
    ("ramp", "hevc crf=30"): "5.4 KB, 19.8 / 102 mm",
    ("ramp", "hevc crf=0"): "11.5 KB, 1.8 / 13 mm",
    ("ramp", "hevc lossless"): "(ffv1 92.3 KB, lossless)",
    ("planes", "hevc crf=30"): "5.5 KB, 15.1 / 443 mm (edges 49.4 mean)",
    ("planes", "hevc crf=0"): "206 KB, 6.2 / 51 mm",
    ("planes", "hevc lossless"): "-",
}

SETTINGS = {
    "hevc lossless": {},
    "hevc crf=0": {"crf": 0, "extra_options": {}},
    "hevc crf=30": {"crf": 30, "extra_options": {}},
}


def measure(frames: list[np.ndarray], kwargs: dict, workdir: Path, name: str) -> dict:
    cfg = DepthEncoderConfig(**kwargs)
    q = cfg.quantizer()
    stats = encode_video_frames(frames, workdir / f"{name}.mp4", 30, cfg, overwrite=True)
    codec, total = [], []
    for src, codes in zip(frames, iter_video_frames(stats.path, pix_fmt="gray12le")):
        dec = dequantize_depth(codes, **q)
        floor = dequantize_depth(quantize_depth(src, **q), **q)
        codec.append(depth_frame_error(floor.astype(np.uint16), dec, cfg, decoded_codes=codes))
        total.append(depth_frame_error(src, dec, cfg, decoded_codes=codes))
    return {"kb": stats.bytes / 1000, "codec": summarize_depth_errors(codec), "total": summarize_depth_errors(total)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=30)
    ap.add_argument("--size", default="320x240", help="WxH")
    args = ap.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    print(f"machine: {describe_machine()}")
    print(f"versions: {library_versions()}")
    print(f"inputs: {args.frames} frames {w}x{h} uint16 mm per pattern, DepthEncoderConfig defaults "
          f"(0.01-10 m, log, shift 3.5 m), g=2, preset None, one encode each")
    patterns = {"ramp": depth_ramp(args.frames, h, w), "planes": depth_planes(args.frames, h, w)}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for pname, frames in patterns.items():
            for sname, kw in SETTINGS.items():
                r = measure(frames, kw, Path(tmp), f"{pname}-{sname.replace(' ', '_')}")
                rows.append((pname, sname, r))
    print()
    print("| pattern | encoding | size | codec mean / max mm | codec edge mean / max mm | total mean / p99 / max mm "
          "| >1 cm | invalid kept | maintainers |")
    print("|---|---|---|---|---|---|---|---|---|")
    for pname, sname, r in rows:
        c, t = r["codec"], r["total"]
        print(f"| {pname} | {sname} | {r['kb']:.1f} KB | {c.mean:.2f} / {c.max:.0f} | {c.edge_mean:.1f} / {c.edge_max:.0f} "
              f"| {t.mean:.2f} / {t.p99:.1f} / {t.max:.0f} | {100 * t.frac_over_1cm:.2f} % | "
              f"{'-' if np.isnan(t.invalid_kept) else f'{100 * t.invalid_kept:.0f} %'} "
              f"| {THEIRS[(pname, sname)]} |")
    lossless = [r for p, s, r in rows if s == "hevc lossless"]
    ok = all(r["codec"].max == 0 for r in lossless)
    print(f"\nlossless codec error is exactly 0 on both patterns: {ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
