"""Argument helpers shared by the decide subcommands (recommend, search, compare, pareto)."""

from __future__ import annotations

import math
import sys
import warnings
from typing import Any

EXPORT_FORMATS: tuple[str, ...] = ("cli", "yaml", "json", "python")


def render_config(config: Any, encoder_threads: int | None, fmt: str, target: str | None = None,
                  source: Any = None) -> str:
    """The config rendered by the export registry for ``target`` (default: the installed LeRobot's) in
    ``fmt``; export caveats go to stderr."""
    from ..decide import export

    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"format={fmt!r} must be one of {list(EXPORT_FORMATS)}")
    settings = export.ExportSettings.for_choice(config, encoder_threads=encoder_threads, source=source)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", export.ExportWarning)
        text = export.render(target, fmt, settings)
    for w in caught:
        if issubclass(w.category, export.ExportWarning):
            print(f"warning: {w.message}", file=sys.stderr)
    return text.rstrip("\n")


def check_unit_interval(option: str, value: float | None) -> None:
    """Refuse an SSIM-like threshold outside [0, 1] (NaN included) before any work starts."""
    if value is not None and not 0.0 <= value <= 1.0:
        from ..errors import InvalidValueError

        raise InvalidValueError(f"{option} {value!r} is outside [0, 1]; SSIM thresholds are between 0 and 1, e.g. 0.97")


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, (float, int)) and math.isnan(value))


def fmt_num(value: Any, digits: int, suffix: str = "") -> str:
    """Fixed decimals, ``-`` for a missing value."""
    return "-" if _missing(value) else f"{float(value):.{digits}f}{suffix}"


def fmt_sig(value: Any, digits: int = 5) -> str:
    """Significant digits (for columns mixing bytes, SSIM and ms), ``-`` for a missing value."""
    return "-" if _missing(value) else f"{float(value):.{digits}g}"
