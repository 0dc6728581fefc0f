"""Tell the operator what the loader is doing: a progress bar per file on a terminal, log lines otherwise."""
from __future__ import annotations

import logging
import sys
import time

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
        self.progress = None
        self.task = None
        self.started = 0.0

    def __enter__(self):
        self.started = time.monotonic()
        if self.reporter.live:
            self.progress = Progress(TextColumn("{task.description:<40}"), BarColumn(), DownloadColumn(),
                                     TimeRemainingColumn(), console=self.reporter.console, transient=False)
            self.progress.start()
            self.task = self.progress.add_task(f"copy {self.name}", total=self.size)
        return self

    def update(self, done: int) -> None:
        if self.progress is not None:
            self.progress.update(self.task, completed=done)

    def __exit__(self, *exc):
        if self.progress is not None:
            self.progress.update(self.task, completed=self.size)
            self.progress.stop()
        elif not self.reporter.quiet:
            log.info("copied %s (%.1f MB) in %.1fs", self.name, self.size / 1e6,
                     time.monotonic() - self.started)
        return False
