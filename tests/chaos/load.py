"""The load of a chaos round, through the public API only: an association pushes signed hires, one message
after the other, and once each hire's short stretch of work is over its work is reported and the contract
completed (which makes the payslip and the scheduled salary).

Every call is retried until the gateway answers it, the way a careful client does: a signed message with
the same `webhook-id` (the gateway deduplicates it), a command with the same `Idempotency-Key`. A hire
counts as acknowledged once a 202 names it; only those are checked afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx

from contracts_svc.domain.contracts.calendar import PARIS
from contracts_svc.domain.hires import contract_of
from tests.e2e.test_hires import Association, employer, hire

log = logging.getLogger(__name__)

# Answers a careful client tries again (the gateway, or a service behind it, is down or busy); anything else
# is an answer, and a wrong one fails the round.
RETRIED = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
LATE = {"code": "hire_declaration_late", "param": None}
PAY = {"basis": "hourly", "amount_cents": 1500}  # a minute of work: 25 cents gross, as in the e2e test


@dataclass
class PlannedHire:
    reference: str
    member_id: str
    starts_at: datetime
    work_seconds: int
    hire_id: str | None = None  # once acknowledged
    reported: bool = False
    completed: bool = False
    late: bool = False  # refused as a late DPAE: contracts-svc heard of it after its start

    @property
    def work_ends_at(self) -> datetime:
        return self.starts_at + timedelta(seconds=self.work_seconds)

    @property
    def contract_id(self) -> str:
        assert self.hire_id is not None
        return str(contract_of(UUID(self.hire_id)))


@dataclass
class LoadSettings:
    members: int = 40
    # Seconds between two pushes (when the gateway answers at once): a member's hires come members x interval
    # apart, more than a stretch of work, since a person works for one employer at a time.
    hire_interval: float = 2.0
    # A hire starts this long after it is pushed, and its DPAE must be sent before: longer than the slowest
    # recovery from a fault on a quiet machine (15 s at most). A loaded machine needs more (CHAOS_LEAD=180:
    # a process restarting there took a minute or more); a hire that arrives late is counted apart.
    lead: float = float(os.environ.get("CHAOS_LEAD", "30"))
    work_seconds: int = 60  # contracts-svc counts whole minutes: less is no work, and no payslip


@dataclass
class Load:
    """What the generator did, for the round's report and its checks."""

    settings: LoadSettings
    gateway: httpx.AsyncClient
    sender: Association
    api_key: str  # contracts:read/write
    members: list[str]
    structure: dict[str, Any] = field(default_factory=employer)
    hires: list[PlannedHire] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)  # "202", "503", "ConnectError"... per call
    wrong: list[str] = field(default_factory=list)  # answers no retry can change: the round fails

    @property
    def acknowledged(self) -> list[PlannedHire]:
        return [h for h in self.hires if h.hire_id is not None]

    @property
    def accepted(self) -> list[PlannedHire]:
        return [h for h in self.acknowledged if not h.late]

    async def _call(
        self, send: Callable[[], Awaitable[httpx.Response]], until: float
    ) -> httpx.Response | None:
        """The first answer that is not worth retrying, or None at the deadline."""
        while time.monotonic() < until:
            try:
                answer = await send()
            except httpx.HTTPError as exc:
                self.answers[type(exc).__name__] += 1
            else:
                self.answers[str(answer.status_code)] += 1
                if answer.status_code not in RETRIED:
                    return answer
            await asyncio.sleep(0.2)  # the gateway is down or restarting: try again shortly
        return None

    async def push_hires(self, stop: asyncio.Event, deadline_after_stop: float) -> None:
        """One signed hire per message until `stop`; the message in flight is finished after it."""
        n = 0
        while not stop.is_set():
            planned = PlannedHire(
                reference=f"C-{n:05d}",
                member_id=self.members[n % len(self.members)],
                starts_at=datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=self.settings.lead),
                work_seconds=self.settings.work_seconds,
            )
            n += 1
            self.hires.append(planned)
            await self._push(planned, stop, deadline_after_stop)
            with contextlib.suppress(TimeoutError):  # the pace of the pushes, unless stopped
                await asyncio.wait_for(stop.wait(), self.settings.hire_interval)

    async def _push(self, planned: PlannedHire, stop: asyncio.Event, deadline_after_stop: float) -> None:
        one = hire(
            planned.reference,
            planned.member_id,
            planned.starts_at,
            pay=PAY,
            ends_on=planned.starts_at.astimezone(PARIS).date().isoformat(),
        )
        body = json.dumps({"employer": self.structure, "hire": one}).encode()
        webhook_id = f"msg_{uuid.uuid4().hex}"  # the same on every retry: the gateway deduplicates on it

        async def send() -> httpx.Response:
            headers = self.sender.headers(body, webhook_id)  # a fresh timestamp and signature each time
            return await self.gateway.post("/v1/webhooks/hires", content=body, headers=headers, timeout=10)

        answer = None
        while answer is None:
            until = time.monotonic() + (deadline_after_stop if stop.is_set() else 5.0)
            answer = await self._call(send, until)
            if answer is None and stop.is_set():
                self.wrong.append(f"hire {planned.reference}: never acknowledged")
                return
        if answer.status_code != 202:
            self.wrong.append(f"hire {planned.reference}: {answer.status_code} {answer.text}")
            return
        [acknowledged] = answer.json()["hires"]
        planned.hire_id = acknowledged["id"]

    async def report_work(self, stop: asyncio.Event) -> None:
        """Reports each acknowledged hire's work once over and its contract signed, then completes it."""
        while True:
            pending = [h for h in self.acknowledged if not h.completed]
            done_pushing = stop.is_set()
            due = [h for h in pending if h.work_ends_at <= datetime.now(UTC)]
            for planned in due:
                await self._report(planned, until=time.monotonic() + 30)
            if done_pushing and not pending:
                return
            if not due:
                await asyncio.sleep(0.5)  # waiting for the next stretch of work to end (wall-clock time)

    async def _report(self, planned: PlannedHire, until: float) -> None:
        if not await self._signed(planned, until):
            return  # not decided yet (the bus is catching up): the next pass tries again
        path = f"/v1/contracts/{planned.contract_id}"
        if not planned.reported:
            work = {
                "periods": [
                    {"starts_at": planned.starts_at.isoformat(), "ends_at": planned.work_ends_at.isoformat()}
                ]
            }
            key = f"work-{planned.hire_id}"
            answer = await self._call(
                lambda: self.gateway.post(f"{path}/work_reports", json=work, headers=self._headers(key)),
                until,
            )
            if answer is None:
                return
            if answer.status_code != 200:
                self.wrong.append(f"work of {planned.reference}: {answer.status_code} {answer.text}")
                planned.completed = True  # nothing more to do for it: the round fails on `wrong`
                return
            planned.reported = True
        last_day = planned.work_ends_at.astimezone(PARIS).date().isoformat()
        key = f"completion-{planned.hire_id}"
        answer = await self._call(
            lambda: self.gateway.post(
                f"{path}/completion", json={"completed_on": last_day}, headers=self._headers(key)
            ),
            until,
        )
        if answer is None:
            return
        if answer.status_code != 200:
            self.wrong.append(f"completion of {planned.reference}: {answer.status_code} {answer.text}")
        planned.completed = True

    async def _signed(self, planned: PlannedHire, until: float) -> bool:
        answer = await self._call(
            lambda: self.gateway.get(
                f"/v1/hires/{planned.hire_id}", headers={"Authorization": f"Bearer {self.sender.api_key}"}
            ),
            until,
        )
        if answer is None or answer.status_code == 404:  # 404: not decided yet
            return False
        if answer.status_code == 200 and answer.json()["reasons"] == [LATE]:
            # Reached contracts-svc after its hiring hour (an outage longer than the lead): R1221-5 refuses
            # the DPAE, the drafted contract is flagged. A business outcome, checked once like the others.
            planned.late = planned.completed = True
            return False
        if answer.status_code != 200 or answer.json()["status"] != "accepted":
            self.wrong.append(f"hire {planned.reference}: {answer.status_code} {answer.text}")
            planned.completed = True
            return False
        return True

    def _headers(self, idempotency_key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}", "Idempotency-Key": idempotency_key}
