"""One ``Constraints`` value for every face that turns results into a choice.

``recommend``, ``report``, ``demo``, ``pareto``, ``compare``, the Explorer and Export panels and the
notebooks all build the same frozen :class:`Constraints` (the CLI through :func:`add_constraint_args` /
:func:`constraints_from_args`), so two faces given the same store and the same limits pick the same
configuration. Defaults that depend on the footage (its frame rate, its camera count) come from the
results themselves (:meth:`Constraints.for_results`), never from a literal.

It also holds the *source filter* (which source, episodes and camera of a store a decision is about),
and :func:`select_results` refuses to mix frame rates, or resolutions of different sources, in one
decision unless ``allow_mixed`` says so: averaging 640x480 at 30 fps with 1280x720 at 50 fps answers
no one's question.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from ..errors import InvalidValueError

#: Encoder capacity required over demand before a configuration counts as real-time (50 % spare): the
#: one place this figure lives; the real-time check, recommend and every panel read it from here.
DEFAULT_HEADROOM = 1.5
#: Per-frame statistics a quality limit may apply to.
QUALITY_STATS = ("mean", "p5")
#: Camera kinds a decision may be about (never both at once: PSNR/SSIM and mm errors do not compare).
KINDS = ("rgb", "depth")
#: Default statistic of ``max_depth_error_mm``: the 95th-percentile error over valid pixels, worst episode.
DEFAULT_DEPTH_STAT = "p95"


def depth_stat_column(stat: str) -> str:
    """Results column a depth limit on ``stat`` reads (``p95`` -> ``depth_p95_mm``)."""
    from ..bench.depth_metrics import depth_column

    return depth_column(stat)


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and not math.isnan(float(value))


def _positive_int(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidValueError(f"{name}={value!r} must be a positive integer")


@dataclass(frozen=True)
class Constraints:
    """What a recommendation must satisfy, and which part of a store it is about.

    Quality: ``min_ssim`` (0..1) / ``min_psnr`` (dB) on the ``quality_stat`` (``mean`` or ``p5``) of the
    per-frame values. Real time: the slowest episode's encode fps must reach ``cameras * fps * headroom``
    (``None`` for ``cameras``/``fps`` means "the source's": resolved by :meth:`for_results`).
    ``max_load_ms`` bounds the 1-frame random-access load time (p95), ``codecs`` restricts the codecs,
    ``max_depth_error_mm`` bounds the depth error in mm of depth cameras on ``depth_stat`` (one of
    ``DEPTH_STATS``: mean, median, p95, p99, max, edge_mean, edge_max over valid pixels, pooled over frames).
    ``kind`` (``rgb`` / ``depth``) says which cameras the decision is about; unset, a depth limit means
    depth, an SSIM/PSNR limit RGB, else the one kind the selection holds (a mix is refused).
    Filter: ``source`` (a source name or a fingerprint prefix), ``episodes`` (indices) and ``camera``
    (a camera key) select the trials; ``allow_mixed`` lets one decision span several frame rates or
    differently sized sources.
    """

    min_ssim: float | None = None
    min_psnr: float | None = None
    quality_stat: str = "mean"
    cameras: int | None = None
    fps: int | None = None
    headroom: float = DEFAULT_HEADROOM
    max_load_ms: float | None = None
    codecs: tuple[str, ...] | None = None
    max_depth_error_mm: float | None = None
    depth_stat: str = DEFAULT_DEPTH_STAT
    kind: str | None = None
    source: str | None = None
    episodes: tuple[int, ...] | None = None
    camera: str | None = None
    allow_mixed: bool = False

    def __post_init__(self) -> None:
        if self.min_ssim is not None and not (_is_number(self.min_ssim) and 0.0 <= self.min_ssim <= 1.0):
            raise InvalidValueError(f"min_ssim={self.min_ssim!r} must be a number in [0, 1]")
        if self.min_psnr is not None and not (_is_number(self.min_psnr) and 0 < self.min_psnr < 200):
            raise InvalidValueError(f"min_psnr={self.min_psnr!r} must be a number of dB in (0, 200)")
        if self.quality_stat not in QUALITY_STATS:
            raise InvalidValueError(f"quality_stat={self.quality_stat!r} must be one of {list(QUALITY_STATS)}")
        if self.cameras is not None:
            _positive_int("cameras", self.cameras)
        if self.fps is not None:
            _positive_int("fps", self.fps)
        if not (_is_number(self.headroom) and math.isfinite(self.headroom) and self.headroom > 0):
            raise InvalidValueError(
                f"headroom={self.headroom!r} must be a number > 0 ({DEFAULT_HEADROOM:g} means "
                f"{DEFAULT_HEADROOM - 1:.0%} spare encoder capacity)"
            )
        for name in ("max_load_ms", "max_depth_error_mm"):
            value = getattr(self, name)
            if value is not None and not (_is_number(value) and value > 0):
                raise InvalidValueError(f"{name}={value!r} must be a number > 0")
        from ..bench.depth_metrics import DEPTH_STATS

        if self.depth_stat not in DEPTH_STATS:
            raise InvalidValueError(f"depth_stat={self.depth_stat!r} must be one of {list(DEPTH_STATS)}")
        if self.kind is not None and self.kind not in KINDS:
            raise InvalidValueError(f"kind={self.kind!r} must be one of {list(KINDS)}")
        depth_limit = self.max_depth_error_mm is not None
        rgb_limit = self.min_ssim is not None or self.min_psnr is not None
        if depth_limit and (rgb_limit or self.kind == "rgb"):
            raise InvalidValueError(
                "max_depth_error_mm applies to depth cameras and SSIM/PSNR limits to RGB cameras: decide on one "
                "kind at a time (two recommend runs, e.g. --camera top and --camera top_depth)")
        if rgb_limit and self.kind == "depth":
            raise InvalidValueError("SSIM/PSNR do not measure depth cameras: use max_depth_error_mm "
                                    "(--max-depth-error-mm) with kind='depth'")
        if self.codecs is not None:
            codecs = tuple(self.codecs)
            if not codecs or not all(isinstance(c, str) and c for c in codecs):
                raise InvalidValueError(f"codecs={self.codecs!r} must be a non-empty list of codec names")
            object.__setattr__(self, "codecs", tuple("libsvtav1" if c == "av1" else c for c in codecs))
        if self.episodes is not None:
            episodes = tuple(self.episodes)
            if not episodes or any(isinstance(e, bool) or not isinstance(e, int) or e < 0 for e in episodes):
                raise InvalidValueError(f"episodes={self.episodes!r} must be a non-empty list of indices >= 0")
            object.__setattr__(self, "episodes", episodes)
        for name in ("source", "camera"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value):
                raise InvalidValueError(f"{name}={value!r} must be a non-empty string")

    # ------------------------------------------------------------------ derived
    @property
    def required_encode_fps(self) -> float:
        """Single-stream encode fps a configuration must reach (needs resolved ``cameras`` and ``fps``)."""
        if self.cameras is None or self.fps is None:
            raise InvalidValueError("cameras and fps are not resolved: use Constraints.for_results(results)")
        return self.cameras * self.fps * self.headroom

    @property
    def has_filter(self) -> bool:
        return any(v is not None for v in (self.source, self.episodes, self.camera))

    def replace(self, **changes: Any) -> Constraints:
        """A copy with ``changes`` (validated again)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for name in ("codecs", "episodes"):
            out[name] = list(out[name]) if out[name] is not None else None
        return out

    def describe(self) -> str:
        """One line for printed decisions: the limits that apply."""
        parts = []
        if self.min_ssim is not None:
            parts.append(f"SSIM {self.quality_stat} >= {self.min_ssim:g}")
        if self.min_psnr is not None:
            parts.append(f"PSNR {self.quality_stat} >= {self.min_psnr:g} dB")
        cams = "?" if self.cameras is None else self.cameras
        rate = "?" if self.fps is None else self.fps
        parts.append(f"{cams} camera(s) at {rate} fps, {self.headroom:g}x headroom")
        if self.max_load_ms is not None:
            parts.append(f"load <= {self.max_load_ms:g} ms")
        if self.max_depth_error_mm is not None:
            parts.append(f"depth {self.depth_stat} error <= {self.max_depth_error_mm:g} mm")
        if self.codecs:
            parts.append("codecs " + "/".join(self.codecs))
        return ", ".join(parts)

    @classmethod
    def for_results(cls, results: Any, base: Constraints | None = None, **overrides: Any) -> Constraints:
        """``base`` (or the defaults) with ``overrides`` applied, then ``fps`` / ``cameras`` left unset
        filled in from the selected trials of ``results``: their frame rate and their camera count.

        Raises :class:`~lerobot_videobench.errors.InvalidValueError` when the selection mixes frame rates
        or sources of different sizes and ``allow_mixed`` is not set (see :func:`select_results`).
        """
        c = replace(base or cls(), **overrides)
        if c.fps is not None and c.cameras is not None:
            select_results(results, c)  # still refuse a mixed store
            return c
        selected = select_results(results, c)
        ok = _ok_rows(selected)
        fps = c.fps
        if fps is None:
            rates = sorted({int(f) for f in ok["fps"].dropna()}) if _is_trial_table(ok) and "fps" in ok.columns else []
            # several rates only reach here with allow_mixed: the fastest is the demanding one (a config
            # real-time at the highest rate is real-time at all of them). No rate known: LeRobot's 30.
            fps = max(rates) if rates else 30
        cameras = c.cameras
        if cameras is None:
            cameras = _camera_count(ok)
        return replace(c, fps=int(fps), cameras=int(cameras))


def _ok_rows(results: Any) -> Any:
    if results is None or not len(results) or "status" not in results.columns:
        return results
    ok = results[results["status"] == "ok"]
    return ok if len(ok) else results


def _camera_count(rows: Any) -> int:
    """Cameras recorded together: distinct camera keys per source, the largest over sources."""
    if rows is None or not len(rows) or "camera" not in rows.columns:
        return 1
    by = "source" if "source" in rows.columns else None
    if by is None:
        return max(1, rows["camera"].nunique())
    return max(1, int(rows.groupby(by)["camera"].nunique().max()))


def _is_trial_table(results: Any) -> bool:
    return results is not None and "key" in getattr(results, "columns", [])


def select_results(results: Any, constraints: Constraints | None) -> Any:
    """The trials of ``results`` the filter of ``constraints`` selects; refuses mixed selections.

    ``source`` matches a trial's source name exactly or its source fingerprint's prefix; ``episodes``
    its episode index; ``camera`` its camera key (exactly, or as the last dotted part: ``top``).
    A selection whose trials were recorded at several frame rates, or that spans sources whose cameras
    differ in size, raises :class:`~lerobot_videobench.errors.InvalidValueError` naming what is mixed
    and how to choose, unless ``allow_mixed`` is set. Per-configuration tables (no trial columns) pass
    through unchanged.
    """
    if not _is_trial_table(results) or not len(results):
        return results
    c = constraints or Constraints()
    df = results
    if c.source is not None:
        names = df["source"].astype(str) if "source" in df.columns else None
        fps_ = df["source_fingerprint"].astype(str) if "source_fingerprint" in df.columns else None
        mask = False
        if names is not None:
            mask = names == c.source
        if fps_ is not None:
            mask = mask | fps_.str.startswith(c.source)
        df = df[mask]
        if not len(df):
            raise InvalidValueError(f"source={c.source!r} matches no trial; the store holds {_sources(results)}")
    if c.episodes is not None:
        df = df[df["episode_index"].isin(list(c.episodes))]
        if not len(df):
            have = sorted({int(e) for e in results["episode_index"].dropna()})
            raise InvalidValueError(f"episodes={list(c.episodes)} match no trial; the store holds episodes {have}")
    if c.camera is not None:
        cams = df["camera"].astype(str)
        df = df[(cams == c.camera) | (cams.str.rsplit(".", n=1).str[-1] == c.camera)]
        if not len(df):
            have = sorted(set(results["camera"].astype(str)))
            raise InvalidValueError(f"camera={c.camera!r} matches no trial; the store holds cameras {have}")
    df = _select_kind(df, c).reset_index(drop=True)
    if not c.allow_mixed:
        problem = mixed_problem(df)
        if problem:
            raise InvalidValueError(
                f"the results mix {problem}: choose one with --source / --episodes / --camera "
                "(source=, episodes=, camera=), or pass --allow-mixed (allow_mixed=True) to decide over all"
            )
    return df


def decision_kind(results: Any, constraints: Constraints | None) -> str:
    """Which cameras a decision is about: ``constraints.kind``, else implied by its limits (a depth limit:
    depth; SSIM/PSNR: RGB), else the one kind ``results`` hold; a store holding both is decided on its RGB
    cameras (LeRobot's ``rgb_encoder``), and :func:`left_out_kind_note` says so."""
    c = constraints or Constraints()
    if c.kind is not None:
        return c.kind
    if c.max_depth_error_mm is not None:
        return "depth"
    if c.min_ssim is not None or c.min_psnr is not None:
        return "rgb"
    kinds = set(results["kind"].fillna("rgb")) if results is not None and "kind" in results.columns else set()
    return "depth" if kinds == {"depth"} else "rgb"


def left_out_kind_note(results: Any, constraints: Constraints | None) -> str | None:
    """A line for decisions over a store with both kinds: how many trials of the other kind were left out."""
    if results is None or "kind" not in getattr(results, "columns", []) or not len(results):
        return None
    kind = decision_kind(results, constraints)
    other = results[results["kind"].fillna("rgb") != kind]
    if not len(other):
        return None
    flag = "--kind depth (or --max-depth-error-mm MM)" if kind == "rgb" else "--kind rgb"
    return (f"Decided on {kind.upper() if kind == 'rgb' else kind} cameras only: {len(other)} trial(s) of "
            f"{'depth' if kind == 'rgb' else 'RGB'} cameras are left out (SSIM and mm errors do not compare); "
            f"{flag} decides on those.")


def _select_kind(df: Any, c: Constraints) -> Any:
    if "kind" not in df.columns or not len(df):
        return df
    kind = decision_kind(df, c)
    chosen = df[df["kind"].fillna("rgb") == kind]
    if not len(chosen):
        have = sorted(set(df["kind"].fillna("rgb")))
        raise InvalidValueError(f"no {kind} camera trial in the selection (it holds {', '.join(have)} cameras)")
    return chosen


def _sources(results: Any) -> list[str]:
    if "source" not in results.columns:
        return []
    return sorted(set(results["source"].astype(str)))


def mixed_problem(results: Any) -> str | None:
    """What a selection of trials mixes (frame rates; sizes across sources), or None.

    Cameras of different sizes within one source are that recording's cameras (LeRobot encodes them all
    with one config), not a mix.
    """
    if not _is_trial_table(results) or not len(results):
        return None
    rows = results
    if "fps" in rows.columns:
        rates = sorted({int(f) for f in rows["fps"].dropna()})
        if len(rates) > 1:
            return f"frame rates {rates} fps"
    if {"source", "camera", "width", "height"} <= set(rows.columns):
        shapes: dict[str, frozenset] = {}
        for source, group in rows.groupby("source"):
            shapes[str(source)] = frozenset(
                (str(cam), int(w), int(h)) for cam, w, h in group[["camera", "width", "height"]].itertuples(index=False)
            )
        sizes = {s: frozenset((w, h) for _, w, h in v) for s, v in shapes.items()}
        if len(set(sizes.values())) > 1:
            desc = "; ".join(f"{s}: {', '.join(f'{w}x{h}' for w, h in sorted(v))}" for s, v in sorted(sizes.items()))
            return f"sources of different sizes ({desc})"
    return None


# ---------------------------------------------------------------------------------------------- CLI
def add_source_filter_args(parser: argparse.ArgumentParser) -> None:
    """``--source``, ``--episodes``, ``--camera`` and ``--allow-mixed``: which part of a store to decide on."""
    g = parser.add_argument_group("which trials")
    g.add_argument("--source", metavar="NAME", help="only trials of this source (its name or fingerprint prefix)")
    g.add_argument("--episodes", type=int, nargs="+", metavar="I", help="only these episode indices")
    g.add_argument("--camera", metavar="KEY", help="only this camera (e.g. observation.images.top or top)")
    g.add_argument("--allow-mixed", action="store_true",
                   help="decide over trials of several frame rates or differently sized sources")


def add_constraint_args(parser: argparse.ArgumentParser, *, min_ssim_default: float | None = None) -> None:
    """Every :class:`Constraints` option, plus the source filter; read back with :func:`constraints_from_args`."""
    g = parser.add_argument_group("constraints")
    g.add_argument("--min-ssim", type=float, default=min_ssim_default, metavar="X",
                   help="minimum SSIM (0..1)" + (f" (default: {min_ssim_default:g})" if min_ssim_default else ""))
    g.add_argument("--min-psnr", type=float, metavar="DB", help="minimum PSNR in dB")
    g.add_argument("--quality-stat", choices=QUALITY_STATS, default="mean",
                   help="per-frame statistic the quality limits apply to (default: %(default)s)")
    g.add_argument("--cameras", type=int, metavar="N",
                   help="cameras recorded at once (default: the source's camera count)")
    g.add_argument("--fps", type=int, help="camera frame rate (default: the source's fps)")
    g.add_argument("--headroom", type=float, default=DEFAULT_HEADROOM, metavar="X",
                   help="required encoder speed over cameras x fps (default: %(default)s)")
    g.add_argument("--max-load-ms", type=float, metavar="MS", help="maximum random-access load time per frame (p95)")
    g.add_argument("--codecs", nargs="+", metavar="CODEC", help="only these codecs (e.g. libsvtav1 h264)")
    add_depth_args(g)
    add_source_filter_args(parser)


def add_depth_args(g: Any, *, with_limit: bool = True) -> None:
    """``--max-depth-error-mm`` / ``--depth-stat`` (depth cameras) and ``--kind``."""
    from ..bench.depth_metrics import DEPTH_STATS

    if with_limit:
        g.add_argument("--max-depth-error-mm", type=float, metavar="MM",
                       help="depth cameras: maximum error in mm against the source depth, on --depth-stat")
        g.add_argument("--depth-stat", choices=DEPTH_STATS, default=DEFAULT_DEPTH_STAT,
                       help="per-frame depth error statistic the limit applies to (valid pixels; edge_*: pixels at "
                            "depth steps > 50 mm), worst over episodes for p95/p99/max (default: %(default)s)")
    g.add_argument("--kind", choices=KINDS,
                   help="decide on RGB or depth cameras (default: implied by the limits, else the store's one kind)")


_ARG_FIELDS = {f.name for f in fields(Constraints)}


def constraints_from_args(args: argparse.Namespace, results: Any = None) -> Constraints:
    """The :class:`Constraints` given on the command line; with ``results``, unset fps / cameras come
    from the selected trials (their frame rate and camera count)."""
    values = {name: getattr(args, name) for name in _ARG_FIELDS if getattr(args, name, None) is not None}
    for name in ("codecs", "episodes"):
        if name in values:
            values[name] = tuple(values[name])
    values["allow_mixed"] = bool(getattr(args, "allow_mixed", False))
    c = Constraints(**values)
    return Constraints.for_results(results, c) if results is not None else c


__all__ = [
    "DEFAULT_DEPTH_STAT",
    "DEFAULT_HEADROOM",
    "KINDS",
    "decision_kind",
    "left_out_kind_note",
    "depth_stat_column",
    "QUALITY_STATS",
    "Constraints",
    "add_constraint_args",
    "add_source_filter_args",
    "constraints_from_args",
    "mixed_problem",
    "select_results",
]
