"""Tell the operator what the loader is doing: a progress bar per file on a terminal, log lines otherwise."""
from __future__ import annotations

import logging
import sys
import threading
import time
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

log = logging.getLogger("etl")


class Reporter:
    """Progress for the load: `file(...)` wraps a file's COPY; `step(...)` announces a stage."""

    def __init__(self, quiet: bool = False, stream=None):
        self.console = Console(file=stream or sys.stderr)
        self.live = self.console.is_terminal and not quiet
        self.quiet = quiet
        self.started = time.monotonic()
        self.progress = None  # one display shared by the files staged in parallel
        self.lock = threading.Lock()

    @contextmanager
    def staging(self):
        """Show one progress display for all files copied while inside this block."""
        if self.live:
            self.progress = Progress(TextColumn("{task.description:<44}"), BarColumn(), DownloadColumn(),
                                     TimeRemainingColumn(), console=self.console)
            self.progress.start()
        try:
            yield
        finally:
            if self.progress is not None:
                self.progress.stop()
                self.progress = None

    def step(self, message: str) -> None:
        if self.quiet:
            return
        if self.live:
            self.console.print(f"[dim]{time.monotonic() - self.started:6.1f}s[/dim] {message}")
        else:
            log.info(message)

    def file(self, name: str, size: int):
        return _FileProgress(self, name, size)


class _FileProgress:
    def __init__(self, reporter: Reporter, name: str, size: int):
        self.reporter, self.name, self.size = reporter, name, size
        self.task = None
        self.started = 0.0

    def __enter__(self):
        self.started = time.monotonic()
        progress = self.reporter.progress
        if progress is not None:
            with self.reporter.lock:
                self.task = progress.add_task(f"copy {self.name}", total=self.size)
        return self

    def update(self, done: int) -> None:
        if self.task is not None:
            self.reporter.progress.update(self.task, completed=done)

    def __exit__(self, *exc):
        if self.task is not None:
            self.reporter.progress.update(self.task, completed=self.size)
        elif not self.reporter.quiet:
            log.info("copied %s (%.1f MB) in %.1fs", self.name, self.size / 1e6,
                     time.monotonic() - self.started)
        return False
