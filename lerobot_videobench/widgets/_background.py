"""The one background-job lifecycle of the panels: long work (a sweep, a real-time check) runs on a daemon
thread so the kernel stays responsive; one job at a time per panel; errors land in the panel's status
line and are re-raised by :meth:`BackgroundJob.wait` (headless notebooks and tests)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class BackgroundJob(Generic[T]):
    """Runs ``work(cancel_event)`` for ``panel`` on a daemon thread called ``name``.

    ``what`` names the job in messages ("sweep", "real-time check"). ``on_done(result)`` runs in the
    thread after success, ``on_error(exc)`` after the error was shown in the panel's status line, and
    ``on_finish()`` always (re-enable buttons there). A callback that raises is shown the same way.
    """

    def __init__(self, panel: Any, what: str, name: str) -> None:
        self.panel = panel
        self.what = what
        self.name = name
        #: Set by :meth:`cancel`; ``work`` receives it and should stop soon after it is set.
        self.cancel_event = threading.Event()
        #: What the last finished job returned (None before the first one or after a failure).
        self.result: T | None = None
        #: The exception that stopped the last job, None when it succeeded.
        self.failure: BaseException | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(
        self,
        work: Callable[[threading.Event], T],
        *,
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_finish: Callable[[], None] | None = None,
    ) -> threading.Thread | None:
        """Start ``work`` and return its thread at once; None (with a warning in the status line) when a
        job is already running: a second one would write the same widgets and store concurrently."""
        if self.running:
            self.panel.set_status(f"a {self.what} is already running", "warn")
            return None
        self.cancel_event = threading.Event()
        self.failure = None
        self.result = None
        cancel = self.cancel_event

        def body() -> None:
            try:
                result = work(cancel)
                self.result = result
                if on_done is not None:
                    on_done(result)
            except Exception as exc:  # noqa: BLE001 - shown in the panel and re-raised by wait()
                self.failure = exc
                self.panel.show_error(exc, f"{self.what} failed")
                if on_error is not None:
                    with self.panel.guard(self.what):
                        on_error(exc)
            finally:
                if on_finish is not None:
                    with self.panel.guard(self.what):
                        on_finish()

        self._thread = threading.Thread(target=body, name=self.name, daemon=True)
        self._thread.start()
        return self._thread

    def cancel(self) -> bool:
        """Ask the running job to stop; True when one was running."""
        self.cancel_event.set()
        return self.running

    def wait(self, timeout: float | None = None) -> T | None:
        """Block until the job ends and return its result (None when none ran).

        Raises ``TimeoutError`` when it is still running after ``timeout`` seconds, and ``RuntimeError``
        (from the original exception) when it failed.
        """
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                raise TimeoutError(f"the {self.what} is still running after {timeout} s")
        if self.failure is not None:
            exc = self.failure
            raise RuntimeError(f"the {self.what} failed: {type(exc).__name__}: {exc}") from exc
        return self.result
