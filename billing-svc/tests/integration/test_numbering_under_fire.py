"""Numbering under fire: 32 concurrent finalisations in one series while the billing process is SIGKILLed and
restarted at random. The numbers issued are exactly 1..32, no gap, no duplicate, and every invoice has one."""

from __future__ import annotations

import asyncio
import random
import signal

import asyncpg
import httpx
import pytest

from .support import free_port, fresh_database, headers, invoice_body, start_process

TENANT = "smartfr"
SERIES = "FIRE"
INVOICES = 32
KILLS = 3


class Billing:
    """The process, restarted after each kill; `generation` counts its lives (callers wait for the next)."""

    def __init__(self, database_url: str, port: int) -> None:
        self.database_url = database_url
        self.port = port
        self.generation = 0
        self.restarted = asyncio.Condition()
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await start_process(self.database_url, self.port)
        async with self.restarted:
            self.generation += 1
            self.restarted.notify_all()

    async def kill_and_restart(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        await self.start()

    async def next_life(self, seen: int) -> None:
        async with self.restarted:
            await self.restarted.wait_for(lambda: self.generation > seen)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.process.wait(), 30)


async def _finalise(client: httpx.AsyncClient, billing: Billing, invoice_id: str) -> tuple[str, int]:
    """Retried until answered, as a caller whose call was cut would; returns the number and the tries."""
    tries = 0
    while True:
        tries += 1
        life = billing.generation
        try:
            answer = await client.post(f"/internal/invoices/{invoice_id}/finalise", headers=headers(TENANT))
        except httpx.TransportError:
            await billing.next_life(life)
            continue
        assert answer.status_code == 200, answer.text
        number: str = answer.json()["number"]
        return number, tries


@pytest.mark.slow
async def test_numbers_stay_gapless_and_unique_while_the_process_is_killed(database_url: str) -> None:
    async with fresh_database(database_url) as url:
        billing = Billing(url, free_port())
        await billing.start()
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{billing.port}", timeout=60) as client:
                ids = []
                for _ in range(INVOICES):
                    drafted = await client.post(
                        "/internal/invoices", json=invoice_body(SERIES), headers=headers(TENANT)
                    )
                    assert drafted.status_code == 201, drafted.text
                    ids.append(drafted.json()["id"])

                finalising = [asyncio.create_task(_finalise(client, billing, i)) for i in ids]
                kills_mid_flight = 0
                for _ in range(KILLS):
                    await asyncio.sleep(random.uniform(0.05, 0.6))  # the fire: a kill at a random moment
                    if all(task.done() for task in finalising):
                        break
                    issued_before = await _issued_count(url)
                    await billing.kill_and_restart()
                    kills_mid_flight += issued_before < INVOICES
                results = await asyncio.gather(*finalising)

                numbers = sorted(int(number.removeprefix(f"{SERIES}-")) for number, _ in results)
                assert numbers == list(range(1, INVOICES + 1))
                for invoice_id in ids:  # every finalised invoice reads back issued, with its number
                    read = (
                        await client.get(f"/internal/invoices/{invoice_id}", headers=headers(TENANT))
                    ).json()
                    assert read["status"] == "issued"
                    assert read["number"] is not None
        finally:
            await billing.stop()

        conn = await asyncpg.connect(url, server_settings={"search_path": "billing"})
        try:
            sequences = [
                r["sequence"] for r in await conn.fetch("SELECT sequence FROM issued_invoices ORDER BY 1")
            ]
            finalised_events = await conn.fetchval(
                "SELECT count(*) FROM events WHERE event_type = 'InvoiceFinalised'"
            )
            counter = await conn.fetchval(
                "SELECT last_sequence FROM invoice_counters WHERE series = $1", SERIES
            )
        finally:
            await conn.close()
        assert sequences == list(range(1, INVOICES + 1))
        assert finalised_events == INVOICES
        assert counter == INVOICES
        assert kills_mid_flight >= 1, (
            "no kill landed while finalisations were in flight: the test proved nothing"
        )
        retried = sum(1 for _, tries in results if tries > 1)
        print(f"{kills_mid_flight} kills mid-flight; {retried} finalisations retried after a kill")


async def _issued_count(url: str) -> int:
    conn = await asyncpg.connect(url, server_settings={"search_path": "billing"})
    try:
        return int(await conn.fetchval("SELECT count(*) FROM issued_invoices"))
    finally:
        await conn.close()
