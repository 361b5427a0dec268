"""A plain text progress bar (no dependency): redrawn in place on a terminal, else one line."""

from __future__ import annotations

import time
from typing import TextIO

__all__ = ["ProgressBar"]


class ProgressBar:
    """``label [#####-----] done/total rate`` on ``stream``; silent when ``enabled`` is false.

    On a terminal the bar is redrawn in place; otherwise (a log file, CI) only the finished bar
    is written, so logs are not flooded with carriage returns.
    """

    def __init__(self, label: str, total: int, stream: TextIO, *, enabled: bool = True) -> None:
        self.label = label
        self.total = max(total, 0)
        self.done = 0
        self._stream = stream
        self._enabled = enabled
        self._live = enabled and stream.isatty()
        self._start = time.perf_counter()

    def render(self, width: int = 30) -> str:
        """The bar as text for the current count."""
        fraction = self.done / self.total if self.total else 1.0
        filled = round(width * fraction)
        elapsed = time.perf_counter() - self._start
        rate = f"{self.done / elapsed:.0f}/s" if elapsed > 0 else "-"
        bar = "#" * filled + "-" * (width - filled)
        return f"{self.label} [{bar}] {self.done}/{self.total} {rate}"

    def update(self, n: int) -> None:
        """Count ``n`` more items done."""
        self.done = min(self.done + n, self.total)
        if self._live:
            self._stream.write("\r" + self.render())
            self._stream.flush()

    def close(self) -> None:
        """Finish the bar with a newline."""
        if self._enabled:
            self._stream.write(("\r" if self._live else "") + self.render() + "\n")
            self._stream.flush()
