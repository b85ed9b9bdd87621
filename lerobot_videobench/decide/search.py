"""Target-quality search: the highest crf (smallest file) whose quality still meets a target.

Quality falls (mostly) monotonically as crf rises, so the search brackets the crossing from a start
probe (the codec's usual crf), then interpolates linearly in crf between the bracketing probes on the
quality axis (as ab-av1 and Av1an do), falling back to bisection when interpolation stalls, until the
passing and the failing probe are neighbours. That last step is what makes the answer checkable even
on noisy curves: ``q(crf) >= target`` and ``q(crf + 1) < target`` (or crf is the top of the range).

Each probe is a real trial per episode with the sweep's trial keys, looked up in and written to the
results store, so a rerun, another target or a later sweep reuses every encode. Probes a sweep
already stored seed the bracket for free.
"""

from __future__ import annotations

import logging
import math
import os
import uuid
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..bench.store import ResultStore
from ..bench.summary import is_hazard
from ..bench.trial import MeasureSettings, TrialSpec, relevant_versions, run_trial, trial_key
from ..encoding import DepthEncoderConfig, VideoEncoderConfig
from ..episodes import Episode

logger = logging.getLogger(__name__)

#: Default integer crf range per codec. SVT starts at 1: FFmpeg's libsvtav1 wrapper treats crf=0 as
#: "not set" and encodes at SVT's own default (crf 35), which would break monotonicity at the bottom.
CRF_RANGES: dict[str, tuple[int, int]] = {
    "libsvtav1": (1, 63),
    "libaom-av1": (0, 63),
    "h264": (0, 51),
    "hevc": (0, 51),
}
#: Where the search starts: the crf users usually run (LeRobot's default for SVT, x264/x265 defaults).
START_CRF: dict[str, int] = {"libsvtav1": 30, "libaom-av1": 30, "h264": 23, "hevc": 28}
STATS: tuple[str, ...] = ("mean", "p5")


class Probe(NamedTuple):
    """One crf the search looked at: its quality (min over episodes) and whether the store had it."""

    crf: int
    quality: float
    from_cache: bool


@dataclass
class SearchResult:
    """The crf found (or why none), how it was found, and what it cost against a full crf grid.

    ``quality`` is the chosen crf's ``<metric>_<stat>``, taken as the minimum over the episodes (the
    target must hold on every episode, not on average). ``encodes`` counts trials actually run;
    ``full_grid_encodes`` is what measuring every integer crf of the range on every episode costs.
    """

    found: bool
    crf: int | None
    config: VideoEncoderConfig | None
    quality: float | None
    target: float
    metric: str
    stat: str
    crf_range: tuple[int, int]
    probes: list[Probe] = field(default_factory=list)
    encodes: int = 0
    cached: int = 0
    full_grid_encodes: int = 0
    episodes: int = 0
    bytes_per_frame: float | None = None
    message: str = ""
    hazards: dict[int, str] = field(default_factory=dict)  # crf -> decode issue (LeRobot's decoders misread it)

    @property
    def column(self) -> str:
        if self.metric == "depth":
            from ..bench.depth_metrics import depth_column

            return depth_column(self.stat)
        return f"{self.metric}_{self.stat}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "found": self.found,
            "crf": self.crf,
            "config": self.config.to_dict() if self.config else None,
            "label": self.config.label() if self.config else None,
            "quality": self.quality,
            "target": self.target,
            "metric": self.metric,
            "stat": self.stat,
            "aggregate": "max over episodes" if self.metric == "depth" else "min over episodes",
            "crf_range": list(self.crf_range),
            "probes": [p._asdict() for p in self.probes],
            "encodes": self.encodes,
            "cached": self.cached,
            "full_grid_encodes": self.full_grid_encodes,
            "episodes": self.episodes,
            "bytes_per_frame": self.bytes_per_frame,
            "message": self.message,
            "hazards": {str(k): v for k, v in self.hazards.items()},
        }


class _Prober:
    """Measures one crf on every episode, through the store when there is one; remembers answers."""

    def __init__(self, episodes: list[Episode], make_spec: Any, column: str, store: ResultStore | None,
                 settings: MeasureSettings, *, negate: bool = False) -> None:
        self.negate = negate  # an error (smaller is better, rises with crf): searched as its negative
        self.episodes = episodes
        self.make_spec = make_spec
        self.column = column
        self.store = store
        self.settings = settings
        self.versions = relevant_versions()
        self.fingerprints = [ep.fingerprint() for ep in episodes]
        self._cached_eps: dict[int, Episode] = {}
        self.known: dict[int, tuple[float, bool, float | None]] = {}  # crf -> (quality, from_cache, bytes/frame)
        self.encodes = 0
        self.cached = 0
        self.hazards: dict[int, str] = {}  # crf -> decode issue on some episode
        self.sweep_id = f"search-{uuid.uuid4().hex[:8]}"

    def keys(self, crf: int) -> list[str]:
        spec = self.make_spec(crf)
        return [trial_key(fp, spec, self.settings, self.versions) for fp in self.fingerprints]

    def stored(self, crfs: range) -> dict[int, tuple[float, float | None]]:
        """Qualities of the crfs whose trials are all stored as ok (no encoding)."""
        if self.store is None:
            return {}
        ok = self.store.keys(["ok"])
        out = {}
        for crf in crfs:
            keys = self.keys(crf)
            if all(k in ok for k in keys):
                rows = [self.store.summary(k) for k in keys]
                out[crf] = self._aggregate(rows)
                self._note_hazard(crf, rows)
        return out

    def _note_hazard(self, crf: int, rows: list[dict[str, Any]]) -> None:
        issues = [r.get("decode_issue") or "wrong frames" for r in rows if is_hazard(r.get("decode_ok"))]
        if issues:
            self.hazards[crf] = f"decode hazard on {len(issues)} of {len(rows)} episode(s): {issues[0]}"

    def _aggregate(self, rows: list[dict[str, Any]]) -> tuple[float, float | None]:
        values = [float(r.get(self.column, math.nan)) * (-1.0 if self.negate else 1.0) for r in rows]
        quality = math.nan if any(math.isnan(v) for v in values) else min(values)
        sizes = [r.get("bytes_per_frame") for r in rows]
        size = sum(sizes) / len(sizes) if all(s is not None for s in sizes) else None
        return quality, size

    def __call__(self, crf: int) -> float:
        if crf in self.known:
            return self.known[crf][0]
        spec = self.make_spec(crf)
        ok = self.store.keys(["ok"]) if self.store is not None else set()
        rows, ran = [], 0
        for ep, fp in zip(self.episodes, self.fingerprints):
            key = trial_key(fp, spec, self.settings, self.versions)
            if key in ok:
                rows.append(self.store.summary(key))  # type: ignore[union-attr]
                continue
            if id(ep) not in self._cached_eps:
                self._cached_eps[id(ep)] = ep.cached()
            result = run_trial(
                self._cached_eps[id(ep)], spec, settings=self.settings, fingerprint=fp, versions=self.versions,
                video_dir=self.store.video_dir if self.store is not None else None,
            )
            ran += 1
            if self.store is not None:
                self.store.put(result, sweep=self.sweep_id)
            if not result.ok:
                raise RuntimeError(f"probe {spec.label} on {ep.key} failed: {result.error}")
            rows.append(result.summary())
        self.encodes += ran
        self.cached += len(rows) - ran
        self._note_hazard(crf, rows)
        quality, size = self._aggregate(rows)
        if math.isnan(quality):
            raise RuntimeError(f"probe {spec.label} measured no {self.column}")
        self.known[crf] = (quality, ran == 0, size)
        logger.info("probe crf %d: %s=%.5f%s", crf, self.column, quality, " (cache)" if ran == 0 else "")
        return quality


def _validate(vcodec: str, target_ssim: float | None, target_psnr: float | None, stat: str,
              crf_range: tuple[int, int] | None) -> tuple[str, float, tuple[int, int]]:
    if (target_ssim is None) == (target_psnr is None):
        raise ValueError("give exactly one of target_ssim or target_psnr")
    metric, target = ("ssim", target_ssim) if target_ssim is not None else ("psnr", target_psnr)
    name = f"target_{metric}"
    if isinstance(target, bool) or not isinstance(target, (int, float)) or not math.isfinite(target):
        raise ValueError(f"{name}={target!r} must be a finite number")
    if metric == "ssim" and not 0 < target <= 1:
        raise ValueError(f"target_ssim={target!r} must be in (0, 1]")
    if metric == "psnr" and target <= 0:
        raise ValueError(f"target_psnr={target!r} must be > 0 dB")
    if stat not in STATS:
        raise ValueError(f"stat={stat!r} must be one of {list(STATS)}")
    if crf_range is None:
        if vcodec not in CRF_RANGES:
            raise ValueError(f"vcodec={vcodec!r} has no default crf range; pass crf_range=(low, high); "
                             f"known: {sorted(CRF_RANGES)}")
        crf_range = CRF_RANGES[vcodec]
    try:
        lo, hi = crf_range
    except (TypeError, ValueError):
        raise ValueError(f"crf_range={crf_range!r} must be a pair (low, high) of integers") from None
    if any(isinstance(v, bool) or not isinstance(v, int) for v in (lo, hi)) or lo < 0 or lo > hi:
        raise ValueError(f"crf_range={crf_range!r} must be integers with 0 <= low <= high")
    if vcodec == "libsvtav1" and lo == 0:
        raise ValueError("crf_range low=0 is not allowed for libsvtav1: FFmpeg's wrapper reads crf=0 as "
                         "'unset' and encodes at SVT's default crf 35; start at 1")
    if vcodec in CRF_RANGES and hi > CRF_RANGES[vcodec][1]:
        raise ValueError(f"crf_range high={hi} exceeds {vcodec}'s maximum crf {CRF_RANGES[vcodec][1]}")
    return metric, float(target), (int(lo), int(hi))


def search_crf(
    episodes: Episode | list[Episode],
    *,
    vcodec: str = "libsvtav1",
    g: int | None = 2,
    preset: int | str | None = None,
    pix_fmt: str = "yuv420p",
    fast_decode: int = 0,
    encoder_threads: int | None = None,
    target_ssim: float | None = None,
    target_psnr: float | None = None,
    stat: str = "mean",
    crf_range: tuple[int, int] | None = None,
    store: str | os.PathLike | ResultStore | None = None,
    settings: MeasureSettings | None = None,
    max_depth_error_mm: float | None = None,
    depth_stat: str = "p95",
    depth_quantizer: dict[str, Any] | None = None,
) -> SearchResult:
    """The highest integer crf whose quality meets the target on every episode, with few encodes.

    Quality is ``ssim_<stat>`` or ``psnr_<stat>`` (``stat`` ``mean`` or ``p5`` of the per-frame values)
    taken as the minimum over the episodes. The answer satisfies ``q(crf) >= target`` and
    ``q(crf + 1) < target`` unless crf is the top of the range. ``settings`` default to the sweep's
    (``MeasureSettings()``) so probes and sweeps share store entries. When even the lowest crf
    misses the target, ``found`` is False and the message gives the best quality reached.

    Depth cameras: ``max_depth_error_mm`` on ``depth_stat`` (the worst episode's) searches the highest crf of
    a lossy ``DepthEncoderConfig`` (x265 lossless off; ``depth_quantizer`` overrides depth_min/depth_max/
    shift/use_log) whose error stays within the limit; pix_fmt is gray12le.
    """
    episodes = [episodes] if isinstance(episodes, Episode) else list(episodes)
    if not episodes:
        raise ValueError("episodes is empty: load at least one episode (lerobot_videobench.load_episodes)")
    vcodec = {"av1": "libsvtav1"}.get(vcodec, vcodec)
    if max_depth_error_mm is not None or any(ep.is_depth for ep in episodes):
        return _search_depth(episodes, vcodec, g, preset, encoder_threads, max_depth_error_mm, depth_stat,
                             depth_quantizer, crf_range, store, settings, target_ssim, target_psnr)
    metric, target, (lo, hi) = _validate(vcodec, target_ssim, target_psnr, stat, crf_range)
    # Validate the configuration once (ValueError naming the field) before any encode.
    base = VideoEncoderConfig(vcodec=vcodec, pix_fmt=pix_fmt, g=g, crf=lo, preset=preset, fast_decode=fast_decode)
    if encoder_threads is not None and (isinstance(encoder_threads, bool) or not isinstance(encoder_threads, int)
                                        or encoder_threads < 1):
        raise ValueError(f"encoder_threads={encoder_threads!r} must be a positive integer or None")

    def make_spec(crf: int) -> TrialSpec:
        config = VideoEncoderConfig(vcodec=base.vcodec, pix_fmt=pix_fmt, g=g, crf=crf, preset=base.preset,
                                    fast_decode=fast_decode)
        return TrialSpec(config, encoder_threads)

    store = ResultStore(store) if store is not None and not isinstance(store, ResultStore) else store
    column = f"{metric}_{stat}"
    probe = _Prober(episodes, make_spec, column, store, settings or MeasureSettings())
    result = SearchResult(False, None, None, None, target, metric, stat, (lo, hi), episodes=len(episodes),
                          full_grid_encodes=(hi - lo + 1) * len(episodes))

    seeds = probe.stored(range(lo, hi + 1))
    good, bad = _initial_bracket(seeds, target, probe)
    start = START_CRF.get(vcodec, (lo + hi) // 2)
    good = find_crossing(probe, target, lo, hi, start=start if lo <= start <= hi else (lo + hi) // 2,
                         good=good, bad=bad)

    result.probes = [Probe(c, q, cached) for c, (q, cached, _) in probe.known.items()]
    result.encodes, result.cached = probe.encodes, probe.cached
    tag = f"{column} (min over {len(episodes)} episode(s))"
    if good is None:
        best_crf = max(probe.known, key=lambda c: probe.known[c][0])
        best = probe.known[best_crf][0]
        result.message = (f"target unreachable: even crf {best_crf} gives {tag} {best:.5g}, short of "
                          f"{target:.5g} by {target - best:.4g}")
        return result
    result.hazards = dict(sorted(probe.hazards.items()))
    if good in probe.hazards:  # meets the target, but a training run cannot read it back correctly
        result.crf = good
        result.quality, _, result.bytes_per_frame = probe.known[good]
        result.message = (f"crf {good} meets the target ({tag} {result.quality:.5g} >= {target:.5g}) but is not "
                          f"recommended: {probe.hazards[good]}")
        return result
    result.found, result.crf = True, good
    result.config = make_spec(good).config
    result.quality, _, result.bytes_per_frame = probe.known[good]
    if good == hi:
        result.message = (f"target trivially met: the highest crf in range ({hi}) gives {tag} "
                          f"{result.quality:.5g} >= {target:.5g}")
    else:
        # the verdict only: the cost (encodes, reused, full grid) is in its own fields, printed once by faces
        result.message = (f"crf {good}: {tag} {result.quality:.5g} >= {target:.5g}, crf {good + 1} gives "
                          f"{probe.known[good + 1][0]:.5g}")
    return result


def _search_depth(episodes: list[Episode], vcodec: str, g: int | None, preset: Any, encoder_threads: int | None,
                  limit: float | None, stat: str, quantizer: dict[str, Any] | None, crf_range: Any, store: Any,
                  settings: MeasureSettings | None, target_ssim: Any, target_psnr: Any) -> SearchResult:
    """:func:`search_crf` for depth cameras: the error in mm must stay <= ``limit`` (searched as -error)."""
    from ..bench.depth_metrics import DEPTH_STATS, depth_column
    from ..bench.grid import AOM_DEPTH_SPEED, DEPTH_CODECS
    from ..errors import InvalidValueError

    if not all(ep.is_depth for ep in episodes):
        raise InvalidValueError("a depth error limit searches depth cameras only; these episodes include RGB cameras")
    if target_ssim is not None or target_psnr is not None:
        raise InvalidValueError("SSIM/PSNR targets do not apply to depth cameras: give max_depth_error_mm")
    if limit is None:
        raise InvalidValueError("depth cameras are searched on an error limit: give max_depth_error_mm "
                                "(--max-depth-error-mm)")
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not math.isfinite(limit) or limit <= 0:
        raise InvalidValueError(f"max_depth_error_mm={limit!r} must be a number of mm > 0")
    if stat not in DEPTH_STATS:
        raise InvalidValueError(f"depth_stat={stat!r} must be one of {list(DEPTH_STATS)}")
    if vcodec not in DEPTH_CODECS:
        raise InvalidValueError(f"vcodec={vcodec!r} cannot encode depth (12-bit gray); use {' or '.join(DEPTH_CODECS)}")
    _, _, (lo, hi) = _validate(vcodec, 0.5, None, "mean", crf_range)
    extra = dict(AOM_DEPTH_SPEED) if vcodec == "libaom-av1" else {}

    def make_spec(crf: int) -> TrialSpec:
        return TrialSpec(DepthEncoderConfig(vcodec=vcodec, g=g, crf=crf, preset=preset, extra_options=dict(extra),
                                            **(quantizer or {})), encoder_threads)

    make_spec(lo)  # validate once, before any encode
    store = ResultStore(store) if store is not None and not isinstance(store, ResultStore) else store
    column = depth_column(stat)
    probe = _Prober(episodes, make_spec, column, store, settings or MeasureSettings(), negate=True)
    result = SearchResult(False, None, None, None, float(limit), "depth", stat, (lo, hi), episodes=len(episodes),
                          full_grid_encodes=(hi - lo + 1) * len(episodes))
    target = -float(limit)
    good, bad = _initial_bracket(probe.stored(range(lo, hi + 1)), target, probe)
    start = START_CRF.get(vcodec, (lo + hi) // 2)
    good = find_crossing(probe, target, lo, hi, start=start, good=good, bad=bad)
    result.probes = [Probe(c, -q, cached) for c, (q, cached, _) in probe.known.items()]
    result.encodes, result.cached = probe.encodes, probe.cached
    result.hazards = dict(sorted(probe.hazards.items()))
    tag = f"{column} (max over {len(episodes)} episode(s))"
    if good is None:
        best_crf = max(probe.known, key=lambda c: probe.known[c][0])
        result.message = (f"limit unreachable: even crf {best_crf} gives {tag} {-probe.known[best_crf][0]:.4g} mm, "
                          f"over {limit:.4g} mm (lossless, LeRobot's default, has no codec error)")
        return result
    q, _, result.bytes_per_frame = probe.known[good]
    result.crf, result.quality = good, -q
    if good in probe.hazards:
        result.message = f"crf {good} meets the limit but is not recommended: {probe.hazards[good]}"
        return result
    result.found, result.config = True, make_spec(good).config
    above = f", crf {good + 1} gives {-probe.known[good + 1][0]:.4g} mm" if good + 1 in probe.known else ""
    result.message = (f"crf {good}: {tag} {result.quality:.4g} mm <= {limit:.4g} mm{above}; {result.encodes} "
                      f"encode(s) run, {result.cached} reused, against {result.full_grid_encodes} for the full crf grid")
    return result


def _initial_bracket(seeds: dict[int, tuple[float, float | None]], target: float,
                     probe: _Prober) -> tuple[int | None, int | None]:
    """Seed (good, bad) from crfs already in the store: the highest pass and the lowest fail above it."""
    if not seeds:
        return None, None
    passing = [c for c, (q, _) in seeds.items() if q >= target]
    good = max(passing) if passing else None
    failing = [c for c, (q, _) in seeds.items() if q < target and (good is None or c > good)]
    bad = min(failing) if failing else None
    for crf in (good, bad):
        if crf is not None:
            q, size = seeds[crf]
            probe.known[crf] = (q, True, size)
            probe.cached += len(probe.episodes)
    return good, bad


def find_crossing(probe: Any, target: float, lo: int, hi: int, *, start: int, good: int | None = None,
                  bad: int | None = None) -> int | None:
    """The search proper, on any ``probe(crf) -> quality``: a crf with ``q >= target`` whose neighbour
    above fails (or ``hi``), or None when ``lo`` fails. ``good``/``bad`` are an optional known bracket."""
    if good is None and bad is None:
        if probe(start) >= target:
            good = start
        else:
            bad = start
    good, bad = _bracket(probe, target, lo, hi, good, bad)
    if good is not None and bad is not None:
        good = _narrow(probe, target, good, bad)
    return good


def _bracket(probe: Any, target: float, lo: int, hi: int, good: int | None,
             bad: int | None) -> tuple[int | None, int | None]:
    """Move from a one-sided start until a passing crf sits below a failing one (or a range end is hit).

    Steps start at an eighth of the range and grow; once two probes exist, the secant through them
    is extrapolated to the target with a 25% overshoot so the next probe lands past the crossing.
    """
    step = max(1, math.ceil((hi - lo) / 8))
    prev: int | None = None
    while good is None or bad is None:
        here = good if bad is None else bad
        if (bad is None and here == hi) or (good is None and here == lo):
            break  # the whole range passes (good=hi) or fails (bad=lo)
        up = bad is None
        guess = None
        if prev is not None:
            q0, q1 = probe(prev), probe(here)
            slope = (q1 - q0) / (here - prev)
            if slope < 0:  # the expected direction; otherwise noise: keep stepping
                guess = here + 1.25 * (target - q1) / slope
        if guess is None or not math.isfinite(guess):
            nxt = here + step if up else here - step
        elif up:
            nxt = min(max(math.ceil(guess) + 1, here + 1), here + 4 * step)
        else:
            nxt = max(min(math.floor(guess) - 1, here - 1), here - 4 * step)
        nxt = min(max(nxt, lo), hi)
        prev = here
        step *= 2
        if probe(nxt) >= target:
            good = nxt
        else:
            bad = nxt
    return good, bad


def _narrow(probe: Any, target: float, good: int, bad: int) -> int:
    """Shrink [good, bad] (good passes, bad fails) until they are neighbours; return good.

    The next probe is where the line through the two ends crosses the target, rounded down (the
    highest crf the line says passes); after two moves of the same end it bisects instead, the
    Illinois-style guard against one end sticking on a curved quality curve.
    """
    same_side, last = 0, None
    while bad - good > 1:
        qg, qb = probe(good), probe(bad)
        if same_side >= 2 or qg <= qb:
            nxt = (good + bad) // 2
            same_side = 0
        else:
            nxt = math.floor(good + (qg - target) / (qg - qb) * (bad - good))
        nxt = min(max(nxt, good + 1), bad - 1)
        side = "good" if probe(nxt) >= target else "bad"
        if side == "good":
            good = nxt
        else:
            bad = nxt
        same_side = same_side + 1 if side == last else 1
        last = side
    return good
