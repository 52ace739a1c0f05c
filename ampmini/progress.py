"""Report scan progress: a one-line bar with rate and ETA on a TTY, periodic log lines otherwise."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import TextIO

logger = logging.getLogger("ampmini.scan")

_BAR_WIDTH = 24


class ProgressReporter:
    """Counts work done against an optional total and shows it at most every `interval` s.

    A TTY gets a bar redrawn in place with "\\r" (default 0.1 s: ~10 redraws/s is smooth and
    costs nothing); anything else (systemd journal, a log file) gets a log line every 5 s so
    logs stay readable. `restart()` begins a new phase (the scanner walks, then reads tags)
    without losing the overall start time used by `finish()`.
    """

    def __init__(
        self,
        total: int | None,
        label: str,
        *,
        stream: TextIO | None = None,
        log: logging.Logger = logger,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.log = log
        self.tty = _isatty(self.stream)
        self.interval = interval if interval is not None else (0.1 if self.tty else 5.0)
        self.clock = clock
        self.label = label
        self.total = total
        self.count = 0
        self.began = clock()
        self._phase_start = self.began
        self._last_emit = self.began
        self._width = 0  # length of the last bar drawn, to blank leftovers when it shrinks

    def advance(self, n: int = 1) -> None:
        """Add n to the count; redraw or log if the interval has passed."""
        self.count += n
        now = self.clock()
        if now - self._last_emit >= self.interval:
            self._last_emit = now
            self._emit(now)

    def set_total(self, total: int | None) -> None:
        """The total once it is known (the ETA needs it)."""
        self.total = total

    def restart(self, label: str, total: int | None) -> None:
        """Begin a new phase: count from zero with a new label and total."""
        self.label = label
        self.total = total
        self.count = 0
        self._phase_start = self._last_emit = self.clock()

    def finish(self, summary: str | None = None) -> None:
        """Print the final line: the count, elapsed time and rate (or `summary` if given)."""
        now = self.clock()
        elapsed = now - self.began
        if summary is None:
            summary = (
                f"{self.label}: {self.count} in {elapsed:.1f} s "
                f"({_rate(self.count, now - self._phase_start):.0f}/s)"
            )
        if self.tty:
            self.stream.write("\r" + summary.ljust(self._width) + "\n")
            self.stream.flush()
            self._width = 0
        else:
            self.log.info("%s", summary)

    def line(self, now: float | None = None) -> str:
        """The current status text (without the bar): count/total, percent, rate, ETA."""
        now = self.clock() if now is None else now
        rate = _rate(self.count, now - self._phase_start)
        if self.total:
            share = min(self.count / self.total, 1.0)
            eta = (self.total - self.count) / rate if rate > 0 else None
            return (
                f"{self.count}/{self.total} {share:4.0%} {rate:.0f}/s "
                f"ETA {_duration(eta) if eta is not None else '?'}"
            )
        return f"{self.count} {rate:.0f}/s"

    def _emit(self, now: float) -> None:
        text = self.line(now)
        if not self.tty:
            self.log.info("%s: %s", self.label, text)
            return
        if self.total:
            filled = round(_BAR_WIDTH * min(self.count / self.total, 1.0))
            bar = "[" + "#" * filled + "-" * (_BAR_WIDTH - filled) + "] "
        else:
            bar = ""
        drawn = f"{self.label} {bar}{text}"
        self.stream.write("\r" + drawn.ljust(self._width))
        self.stream.flush()
        self._width = len(drawn)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed or file-like objects without isatty
        return False


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else 0.0


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
