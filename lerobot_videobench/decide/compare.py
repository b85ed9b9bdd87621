"""Codec comparison: Bjontegaard delta rate and delta quality of rate-quality curves against a baseline.

A *curve* is the set of configurations sharing the ``group_by`` values (e.g. one codec, or one codec and
preset); its points are those configurations (usually different crf values), each aggregated over
its episodes (mean rate, mean quality). BD-rate is the average bitrate change at equal quality over
the quality range both curves cover (negative: the test saves bits); BD-quality the average quality
change at equal rate. The integration is the maintained ``bjontegaard`` package's (FAU-LMS), whose
PCHIP matches the JCT-VC reference sheet; we only shape the curves and say when a figure is weak:
curves that do not overlap (no figure), small overlap, few points, or different episodes.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

#: Quality columns a curve can use, and the name of the matching delta-quality figure.
METRICS: dict[str, str] = {
    "psnr_mean": "BD-PSNR (dB)",
    "psnr_p5": "BD-PSNR p5 (dB)",
    "ssim_mean": "BD-SSIM",
    "ssim_p5": "BD-SSIM p5",
}
RATES: tuple[str, ...] = ("bitrate_kbps", "bytes_per_frame")
METHODS: tuple[str, ...] = ("akima", "pchip", "cubic")
#: Columns a curve can be grouped by (results rows carry them as ``config.<name>``).
GROUP_COLUMNS: tuple[str, ...] = ("vcodec", "pix_fmt", "g", "crf", "preset", "fast_decode", "encoder_threads")
#: Below this overlap fraction (of the joint range) a BD figure is flagged as extrapolation-prone.
MIN_OVERLAP = 0.5
#: Below this many points per curve the interpolation is coarse (the CTC convention is 4).
MIN_POINTS = 4


@dataclass
class Curve:
    """One rate-quality curve: its group values and points sorted by rate."""

    label: str
    values: dict[str, Any]
    rate: list[float]
    quality: list[float]
    configs: list[str]
    episodes: frozenset[str] = field(default_factory=frozenset)
    mixed: list[str] = field(default_factory=list)  # settings besides crf that vary within the curve
    excluded: dict[str, str] = field(default_factory=dict)  # configs left out: failed / decode hazard somewhere


@dataclass
class BDResult:
    """BD-rate and BD-quality of one test curve against the baseline, with caveats in ``warning``.

    ``bd_rate_pct`` is the % rate change at equal quality (negative: the test saves bits);
    ``bd_quality`` the quality change at equal rate in the metric's units (dB or SSIM). ``NaN`` (JSON
    ``null``) when the curves do not overlap. Overlaps are fractions of the joint range of both curves.
    """

    baseline: str
    test: str
    metric: str
    rate: str
    method: str
    bd_rate_pct: float
    bd_quality: float
    bd_quality_name: str
    n_baseline: int
    n_test: int
    quality_overlap: tuple[float, float] | None
    quality_overlap_fraction: float
    rate_overlap_fraction: float
    baseline_values: dict[str, Any] = field(default_factory=dict)
    test_values: dict[str, Any] = field(default_factory=dict)
    warning: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: NaN becomes ``None``, tuples lists."""
        def clean(v: Any) -> Any:
            if isinstance(v, float) and not math.isfinite(v):
                return None
            if isinstance(v, (tuple, list)):
                return [clean(x) for x in v]
            if isinstance(v, dict):
                return {str(k): clean(x) for k, x in v.items()}
            if isinstance(v, np.generic):
                return clean(v.item())
            return v

        return clean(asdict(self))


def _norm(value: Any) -> str:
    """Comparable text of a group value: 12, 12.0, "12" and np.int64(12) are the same preset."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "None"
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _column(df: Any, name: str) -> str:
    for col in (f"config.{name}", name):
        if col in df.columns:
            return col
    raise ValueError(f"group_by column {name!r} is not in the results; allowed: {list(GROUP_COLUMNS)}")


def _label(values: dict[str, Any]) -> str:
    return " ".join(f"{k}={_norm(v)}" for k, v in values.items())


def build_curves(results: Any, group_by: tuple[str, ...] | list[str] = ("vcodec",), *, metric: str = "psnr_mean",
                 rate: str = "bitrate_kbps") -> list[Curve]:
    """Group successful trials into curves; a point is one configuration's mean over its episodes."""
    if metric not in METRICS:
        raise ValueError(f"metric={metric!r} must be one of {list(METRICS)}")
    if rate not in RATES:
        raise ValueError(f"rate={rate!r} must be one of {list(RATES)}")
    group_by = [group_by] if isinstance(group_by, str) else list(group_by)
    if not group_by:
        raise ValueError("group_by must name at least one column, e.g. ('vcodec',)")
    if results is None or len(results) == 0:
        raise ValueError("results are empty: run a sweep first")
    from ..bench.summary import exclusions

    failures, hazards = exclusions(results) if "status" in results.columns and "label" in results.columns else ({}, {})
    out_labels = {**failures, **hazards}
    df = results[results["status"] == "ok"] if "status" in results.columns else results
    all_ok = df
    df = df[~df["label"].isin(list(out_labels))] if out_labels else df
    if not len(df) and len(all_ok):
        raise ValueError(f"every configuration failed or has a decode hazard on some episode: {out_labels}")
    if not len(df):
        raise ValueError("no successful trial in the results: nothing to compare")
    for col in (metric, rate, "label"):
        if col not in df.columns:
            raise ValueError(f"results lack the column {col!r}: pass raw results (load_results), not a summary")
    cols = [_column(df, g) for g in group_by]
    df = df.assign(**{f"_g{i}": df[c].map(_norm) for i, c in enumerate(cols)})
    episode_col = "source_fingerprint" if "source_fingerprint" in df.columns else "episode_key"
    curves = []
    for group, part in df.groupby([f"_g{i}" for i in range(len(cols))], sort=True):
        keys = group if isinstance(group, tuple) else (group,)
        points = part.groupby("label").agg(rate=(rate, "mean"), quality=(metric, "mean")).dropna()
        points = points[points["rate"] > 0].sort_values("rate")
        if not len(points):
            continue
        values = {g: part[c].iloc[0] for g, c in zip(group_by, cols)}
        values = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in values.items()}
        episodes = frozenset(part[episode_col].astype(str)) if episode_col in part.columns else frozenset()
        mixed = [name for name in GROUP_COLUMNS if name != "crf" and name not in group_by
                 and (f"config.{name}" in part.columns or name in part.columns)
                 and part[_column(part, name)].map(_norm).nunique() > 1]
        group_rows = all_ok[all_ok[cols].apply(lambda r: tuple(_norm(v) for v in r), axis=1) == tuple(keys)] \
            if out_labels else all_ok.iloc[:0]
        excluded = {lb: out_labels[lb] for lb in dict.fromkeys(group_rows["label"]) if lb in out_labels}
        curves.append(Curve(_label(dict(zip(group_by, keys))), values, points["rate"].tolist(),
                            points["quality"].tolist(), points.index.tolist(), episodes, mixed, excluded))
    return curves


def _matcher(spec: Any, group_by: list[str], name: str) -> Any:
    """``{"vcodec": "h264"}``, ``"vcodec=h264,preset=medium"`` or a bare value/label -> predicate on curves."""
    if isinstance(spec, str):
        if "=" in spec:
            pairs = [p.strip() for p in spec.replace(";", ",").split(",") if p.strip()]
            try:
                spec = dict(p.split("=", 1) for p in pairs)
            except ValueError:
                raise ValueError(f"{name}={spec!r}: write key=value pairs, e.g. 'vcodec=libsvtav1,preset=12'") from None
        else:
            text = spec
            return lambda c: c.label == text or _norm(c.values.get(group_by[0])) == text
    if not isinstance(spec, dict) or not spec:
        raise ValueError(f"{name}={spec!r} must be a mapping of group column -> value or a 'key=value' string")
    extra = sorted(set(spec) - set(group_by))
    if extra:
        raise ValueError(f"{name} names {extra}, which are not grouped on; group_by={group_by}")
    want = {k: _norm(v) for k, v in spec.items()}
    return lambda c: all(_norm(c.values[k]) == v for k, v in want.items())


def _overlap(a: list[float], b: list[float]) -> tuple[tuple[float, float] | None, float]:
    lo, hi = max(min(a), min(b)), min(max(a), max(b))
    span = max(max(a), max(b)) - min(min(a), min(b))
    if hi <= lo:
        return None, 0.0
    return (lo, hi), (hi - lo) / span if span > 0 else 1.0


def _xy(x: list[float], y: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Points sorted by x with equal x merged (mean y): interpolators need strictly increasing x."""
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ux, inv = np.unique(xs, return_inverse=True)
    uy = np.bincount(inv, weights=ys) / np.bincount(inv)
    return ux, uy


def _bd(fn: Any, base: Curve, test: Curve, method: str, by_quality: bool) -> tuple[float, list[str]]:
    """Call a bjontegaard function with points sorted along its integration axis; collect its warnings."""
    if by_quality:  # integrate over quality: sort (and merge) by quality
        qa, ra = _xy(base.quality, base.rate)
        qt, rt = _xy(test.quality, test.rate)
    else:  # integrate over log rate
        ra, qa = _xy(base.rate, base.quality)
        rt, qt = _xy(test.rate, test.quality)
    if min(len(ra), len(rt)) < 2:
        return math.nan, ["a curve has fewer than 2 distinct points"]
    use = method if not (method == "cubic" and min(len(ra), len(rt)) < 4) else "pchip"
    notes = [] if use == method else ["cubic needs 4 points per curve: used pchip"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = float(fn(ra, qa, rt, qt, use, require_matching_points=False, min_overlap=0))
    notes += [str(w.message) for w in caught]
    return value, notes


def bd_rate(
    results: Any,
    *,
    baseline: dict[str, Any] | str,
    test: dict[str, Any] | str | list[dict[str, Any] | str] | None = None,
    group_by: tuple[str, ...] | list[str] = ("vcodec",),
    metric: str = "psnr_mean",
    rate: str = "bitrate_kbps",
    method: str = "akima",
    constraints: Any = None,
) -> list[BDResult]:
    """BD-rate and BD-quality of each test curve (default: every other curve) against ``baseline``.

    ``results`` are raw trial rows (:func:`~lerobot_videobench.bench.store.load_results`). ``baseline``
    and ``test`` pick curves by group values (``{"vcodec": "libsvtav1"}``, ``"vcodec=h264,preset=medium"``)
    or by a bare value of the first ``group_by`` column. ``method`` is the ``bjontegaard`` interpolation
    (``akima`` by default, the package's recommendation for stability; ``pchip`` reproduces the JCT-VC
    sheet). Each result's ``warning`` says when the figure should not be trusted. ``constraints`` (a
    :class:`~lerobot_videobench.decide.constraints.Constraints`) selects the source / episodes / camera;
    a store mixing frame rates or differently sized sources is refused unless it allows mixing.
    """
    from .constraints import select_results

    results = select_results(results, constraints)
    if len(results) and "kind" in results.columns and (results["kind"] == "depth").all():
        from ..errors import InvalidValueError

        raise InvalidValueError("BD-rate compares RGB quality curves (PSNR/SSIM); depth cameras are judged on error "
                                "in mm: use pareto (size against depth_p95_mm) or recommend --max-depth-error-mm")
    if method not in METHODS:
        raise ValueError(f"method={method!r} must be one of {list(METHODS)}")
    import bjontegaard as bd

    group_by = [group_by] if isinstance(group_by, str) else list(group_by)
    curves = build_curves(results, group_by, metric=metric, rate=rate)
    is_base = _matcher(baseline, group_by, "baseline")
    bases = [c for c in curves if is_base(c)]
    available = [c.label for c in curves]
    if len(bases) != 1:
        what = "no curve" if not bases else f"{len(bases)} curves ({[c.label for c in bases]})"
        raise ValueError(f"baseline={baseline!r} matches {what}; curves: {available}")
    base = bases[0]
    if test is None:
        tests = [c for c in curves if c is not base]
    else:
        preds = [_matcher(t, group_by, "test") for t in (test if isinstance(test, list) else [test])]
        tests = [c for c in curves if any(p(c) for p in preds)]
        if not tests:
            raise ValueError(f"test={test!r} matches no curve; curves: {available}")
    out = []
    for cur in tests:
        out.append(_compare(bd, base, cur, metric, rate, method))
    return out


def _compare(bd: Any, base: Curve, cur: Curve, metric: str, rate: str, method: str) -> BDResult:
    q_range, q_frac = _overlap(base.quality, cur.quality)
    _, r_frac = _overlap([math.log10(r) for r in base.rate], [math.log10(r) for r in cur.rate])
    notes: list[str] = []
    if q_range is None:
        notes.append(f"curves do not overlap in {metric} (baseline {min(base.quality):.4g}..{max(base.quality):.4g}, "
                     f"test {min(cur.quality):.4g}..{max(cur.quality):.4g}): no BD-rate; measure crfs that meet")
        rate_pct = math.nan
    else:
        rate_pct, n = _bd(bd.bd_rate, base, cur, method, by_quality=True)
        notes += n
        if q_frac < MIN_OVERLAP:
            notes.append(f"small {metric} overlap ({q_frac:.0%} of the joint range): BD-rate rests on little data")
    if r_frac == 0:
        notes.append("curves do not overlap in rate: no BD-quality")
        dq = math.nan
    else:
        dq, n = _bd(bd.bd_psnr, base, cur, method, by_quality=False)
        notes += [x for x in n if x not in notes]
    few = min(len(base.rate), len(cur.rate))
    if few < MIN_POINTS:
        notes.append(f"only {few} point(s) on a curve (4 or more recommended): figures are coarse")
    for c in (base, cur):
        if c.mixed:
            notes.append(f"curve {c.label} mixes configurations differing in {c.mixed}: add them to group_by")
    for c in (base, cur):
        if c.excluded:
            notes.append(f"curve {c.label} leaves out {len(c.excluded)} configuration(s) that failed or have a "
                         f"decode hazard on some episode: {', '.join(c.excluded)}")
    if base.episodes and cur.episodes and base.episodes != cur.episodes:
        notes.append("curves were measured on different episodes: compare on the same episodes")
    return BDResult(
        baseline=base.label, test=cur.label, metric=metric, rate=rate, method=method, bd_rate_pct=rate_pct,
        bd_quality=dq, bd_quality_name=METRICS[metric], n_baseline=len(base.rate), n_test=len(cur.rate),
        quality_overlap=q_range, quality_overlap_fraction=q_frac, rate_overlap_fraction=r_frac,
        baseline_values=base.values, test_values=cur.values, warning="; ".join(dict.fromkeys(notes)) or None,
    )
