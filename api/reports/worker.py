"""The report worker: a Trio task in the server's nursery that generates pending reports.

Generation reads the views in a worker thread, so the OCPP loop never waits for it. The result
(`ReportSucceeded` or `ReportFailed`, which are also the events clients list) goes through the
writer. Pending reports are found in the `reports_pending` view, so a restart resumes them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import trio

from api.reports.generate import generate
from store import events as ev
from store.errors import WriterClosed
from store.ids import IdFactory
from store.log import Store
from store.writer import Writer

log = logging.getLogger("ocppcore.reports")


def report_path(directory: Path, report_id: str) -> Path:
    return directory / f"{report_id}.csv"


class ReportWorker:
    def __init__(
        self,
        store: Store,
        writer: Writer,
        directory: Path,
        clock: Callable[[], int],
        new_id: IdFactory,
    ) -> None:
        self.store = store
        self.writer = writer
        self.directory = directory
        self.clock = clock
        self.new_id = new_id
        self._wakeup = trio.Event()
        self.finished: list[
            Callable[[], None]
        ] = []  # called after each report's outcome is durable

    def notify(self) -> None:
        """A report was requested: look for pending ones now."""
        self._wakeup.set()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        try:
            while True:
                self._wakeup = trio.Event()
                with self.store.read() as reader:
                    pending = reader.pending_reports()
                for report_id in pending:
                    await self._generate(report_id)
                if not pending:
                    await self._wakeup.wait()
        except WriterClosed:
            return  # shutting down; what is pending resumes after the restart

    async def _generate(self, report_id: str) -> None:
        with self.store.read() as reader:
            report = reader.report(report_id)
        if report is None or report.status != "pending":
            return
        path = report_path(self.directory, report_id)
        event: ev.Event
        try:
            size = await trio.to_thread.run_sync(
                generate, self.store, report, path, abandon_on_cancel=True
            )
            event = ev.ReportSucceeded(
                at=self.clock(),
                account=report.account,
                report=report_id,
                event=self.new_id("evt"),
                size=size,
            )
            log.info("report %s succeeded (%d bytes)", report_id, size)
        except Exception as exc:
            log.exception("report %s failed", report_id)
            reason = f"report generation failed: {type(exc).__name__}"
            event = ev.ReportFailed(
                at=self.clock(),
                account=report.account,
                report=report_id,
                event=self.new_id("evt"),
                reason=reason,
            )
        await self.writer.submit_one(event)
        for callback in self.finished:
            callback()
