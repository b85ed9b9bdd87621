"""Turning measurements into a choice: Pareto fronts, the constrained recommendation, target-quality
search, BD-rate comparison, the real-time check, dataset health and export to LeRobot's formats."""

from .compare import BDResult, bd_rate
from .constraints import DEFAULT_HEADROOM, Constraints
from .export import (
    TARGETS,
    ExportSettings,
    ExportSource,
    default_target,
    from_json,
    from_yaml,
    render,
    to_cli_args,
    to_json,
    to_python,
    to_yaml,
)
from .health import EpisodeHealth, HealthReport, check_health
from .pareto import OBJECTIVES, Recommendation, config_from_row, pareto_front, recommend
from .realtime import RealtimeReport, check_realtime
from .search import SearchResult, search_crf

__all__ = [
    "DEFAULT_HEADROOM",
    "OBJECTIVES",
    "TARGETS",
    "Constraints",
    "BDResult",
    "EpisodeHealth",
    "ExportSettings",
    "ExportSource",
    "HealthReport",
    "RealtimeReport",
    "Recommendation",
    "SearchResult",
    "bd_rate",
    "check_health",
    "check_realtime",
    "config_from_row",
    "default_target",
    "from_json",
    "from_yaml",
    "pareto_front",
    "recommend",
    "render",
    "search_crf",
    "to_cli_args",
    "to_json",
    "to_python",
    "to_yaml",
]
