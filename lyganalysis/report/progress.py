"""Progress of a batch: counties done / running / failed, time elapsed and an estimate of the rest.

On a terminal one status line is redrawn in place (and refreshed every second); anywhere else
(a log file, CI, a pipe) one plain line is written per county as it finishes, so logs stay
readable.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class BatchProgress:
    """Progress display for :func:`lyganalysis.report.runner.run_batch` (its ``progress=``).

    Parameters
    ----------
    stream : text stream, optional
        Default: a copy of standard error taken when the display is made.
    tty : bool, optional
        Force the terminal (``True``) or plain-line (``False``) form; default: ``stream.isatty()``.
    width : int
        Characters of the bar on a terminal.
    clock : callable
        Seconds, monotonic (replaceable in tests).

    Notes
    -----
    "Running" is the number of counties in flight: the pool's slots, or fewer near the end.  The
    estimate divides the time spent so far by the counties actually run (not those kept from an
    earlier run) and scales by the counties still to do.
    """

    def __init__(self, stream: TextIO | None = None, *, tty: bool | None = None, width: int = 24,
                 clock=time.monotonic) -> None:
        if stream is None:
            # a copy of the terminal's stderr: the runner points file descriptor 2 at the kernel's log
            # while a notebook runs in this process, and the progress line must not end up there
            sys.stderr.flush()
            stream = open(os.dup(2), "w", encoding=getattr(sys.stderr, "encoding", None) or "utf-8",
                          errors="replace", closefd=True)
            self._own_stream = True
        else:
            self._own_stream = False
        self.stream = stream
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)()) if tty is None else tty
        self.width = width
        self.clock = clock
        self.total = 0
        self.slots = 1
        self.done = self.failed = self.reused = 0
        self.started = clock()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    # -- the counts --------------------------------------------------------------------------
    @property
    def finished(self) -> int:
        return self.done + self.failed

    @property
    def running(self) -> int:
        return max(0, min(self.slots, self.total - self.finished))

    def estimate(self) -> float | None:
        """Seconds still to go, or ``None`` before the first county that actually ran."""
        ran = self.finished - self.reused
        left = self.total - self.finished
        if left == 0:
            return 0.0
        if ran <= 0:
            return None
        return (self.clock() - self.started) / ran * left

    def line(self) -> str:
        """The status line: bar, done / running / failed of total, elapsed, estimate."""
        frac = self.finished / self.total if self.total else 1.0
        fill = int(round(frac * self.width))
        est = self.estimate()
        eta = "?" if est is None else _clock(est)
        return (f"[{'#' * fill}{'.' * (self.width - fill)}] {self.finished}/{self.total} "
                f"完成/done {self.done} · 运行/running {self.running} · 失败/failed {self.failed} · "
                f"{_clock(self.clock() - self.started)} elapsed · ~{eta} left")

    # -- the run_batch protocol --------------------------------------------------------------
    def start(self, total: int, slots: int = 1) -> None:
        self.total, self.slots = int(total), max(1, int(slots))
        self.started = self.clock()
        if self.tty:
            self._draw()
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()
        else:
            self._print(f"{self.total} 个报告 / reports, {self.slots} 并行 / in parallel")

    def update(self, result) -> None:
        with self._lock:
            if result.status == "ok":
                self.done += 1
                self.reused += int(bool(getattr(result, "reused", False)))
            else:
                self.failed += 1
        if self.tty:
            if result.status != "ok":  # a failure stays visible above the bar
                self._clear()
                self._print(f"  {result.status}: {result.county}: {result.error_type}: {result.message}")
            self._draw()
        else:
            what = "unchanged, kept" if getattr(result, "reused", False) else f"{result.seconds:.1f} s"
            extra = f"  {result.error_type}: {result.message}" if result.status != "ok" else ""
            est = self.estimate()
            self._print(f"[{self.finished}/{self.total}] {result.status:11s} {result.county} ({what}); "
                        f"{_clock(self.clock() - self.started)} elapsed"
                        + ("" if est is None else f", ~{_clock(est)} left") + extra)

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=2)
            self._ticker = None
        if self.tty:
            self._draw()
            self.stream.write("\n")
        self.stream.flush()
        if self._own_stream:
            self.stream.close()
            self._own_stream = False

    # -- drawing -----------------------------------------------------------------------------
    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            self._draw()

    def _clear(self) -> None:
        self.stream.write("\r\033[K")

    def _draw(self) -> None:
        with self._lock:
            self.stream.write("\r\033[K" + self.line())
            self.stream.flush()

    def _print(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()
