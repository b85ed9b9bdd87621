"""``Selection``: the one piece of state the panels share, so a click in one panel moves all the others."""

from __future__ import annotations

from typing import Any

import traitlets

from ..bench.store import ResultStore
from ..decide.pareto import config_from_row
from ..encoding import VideoEncoderConfig


class Selection(traitlets.HasTraits):
    """The selected trial (``key``) of the results store at ``store_path``.

    ``results_version`` is bumped whenever new results land in the store, so views over the store
    (the explorer) know to reload. Panels ``observe`` these traits; nothing else is shared.
    """

    key = traitlets.Unicode(None, allow_none=True)
    store_path = traitlets.Unicode("")
    results_version = traitlets.Int(0)

    def row(self) -> dict[str, Any] | None:
        """The stored summary row of the selected trial (None when nothing is selected)."""
        if not self.key or not self.store_path:
            return None
        return ResultStore(self.store_path, read_only=True).summary(self.key)

    def config(self) -> tuple[VideoEncoderConfig, int | None] | None:
        """The selected configuration and its ``encoder_threads``, rebuilt from the stored row."""
        row = self.row()
        return None if row is None else config_from_row(row)

    def bump(self) -> None:
        """Announce that the store has new results."""
        self.results_version = self.results_version + 1
