"""The schematron check on a process pool: Saxon runs outside the event loop and outside any series lock."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from billing_svc.facturx.checks import (
    FacturXRejected,
    compile_schematrons,
    schematron_violations,
    xsd_violations,
)

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent(parent: int) -> None:
    """A worker must not outlive a service that was killed (SIGKILL runs no shutdown): the kernel kills it."""
    # Not on Linux: no prctl, and the worker ends when its call queue closes.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    compile_schematrons()  # once per worker, before its first invoice


class FacturXValidator:
    """XSD in-process (a millisecond), both schematrons on `workers` processes (tens of milliseconds)."""

    def __init__(self, workers: int) -> None:
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: a worker starts clean, without the service's event loop, sockets or pool.
            self._pool = ProcessPoolExecutor(
                self._workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_die_with_parent,
                initargs=(os.getpid(),),
            )
        return self._pool

    async def warm_up(self) -> None:
        """Starts the workers (each compiles the schematrons) so the first finalisation does not wait."""
        loop = asyncio.get_running_loop()
        executor = self._executor()
        await asyncio.gather(*(loop.run_in_executor(executor, os.getpid) for _ in range(self._workers)))

    def worker_pids(self) -> tuple[int, ...]:
        """The schematron workers' process ids (none before the first check or `warm_up`)."""
        return () if self._pool is None else tuple(self._pool._processes or ())

    def check_xsd(self, xml: bytes) -> None:
        violations = xsd_violations(xml)
        if violations:
            raise FacturXRejected(violations)

    async def check(self, xml: bytes) -> None:
        """Raises `FacturXRejected` naming every rule the XML breaks."""
        self.check_xsd(xml)
        loop = asyncio.get_running_loop()
        try:
            violations = await loop.run_in_executor(self._executor(), schematron_violations, xml)
        except BrokenProcessPool:  # a worker died (killed, out of memory): a new pool, one more try
            self.close()
            violations = await loop.run_in_executor(self._executor(), schematron_violations, xml)
        if violations:
            raise FacturXRejected(violations)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
