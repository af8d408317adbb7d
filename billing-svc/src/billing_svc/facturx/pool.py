"""The schematron check on a process pool: Saxon runs outside the event loop and outside any series lock."""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from billing_svc.facturx.checks import FacturXRejected, schematron_violations, xsd_violations


class FacturXValidator:
    """XSD in-process (a millisecond), both schematrons on `workers` processes (tens of milliseconds)."""

    def __init__(self, workers: int) -> None:
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: a worker starts clean, without the service's event loop, sockets or pool.
            self._pool = ProcessPoolExecutor(self._workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def check_xsd(self, xml: bytes) -> None:
        violations = xsd_violations(xml)
        if violations:
            raise FacturXRejected(violations)

    async def check(self, xml: bytes) -> None:
        """Raises `FacturXRejected` naming every rule the XML breaks."""
        self.check_xsd(xml)
        loop = asyncio.get_running_loop()
        violations = await loop.run_in_executor(self._executor(), schematron_violations, xml)
        if violations:
            raise FacturXRejected(violations)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
