"""Measuring configurations on episodes: metrics, trials, grids, the results store and the sweep runner."""

from .access import measure_random_access
from .grid import BUILTIN_GRIDS, GridPlan, InvalidEntry, expand_grid
from .runner import SweepEvent, SweepSummary, run_sweep
from .store import ResultStore, export_results, load_results
from .summary import summarize
from .trial import ACCESS_PATTERNS, MeasureSettings, TrialResult, TrialSpec, run_trial

__all__ = [
    "ACCESS_PATTERNS",
    "BUILTIN_GRIDS",
    "GridPlan",
    "InvalidEntry",
    "MeasureSettings",
    "ResultStore",
    "SweepEvent",
    "SweepSummary",
    "TrialResult",
    "TrialSpec",
    "expand_grid",
    "export_results",
    "load_results",
    "measure_random_access",
    "run_sweep",
    "run_trial",
    "summarize",
]
