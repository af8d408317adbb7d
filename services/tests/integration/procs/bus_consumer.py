"""A consumer process for the crash tests: runs one ConsumerRunner until SIGTERM, then prints its counters.

    python bus_consumer.py KIND DSN BOOTSTRAP SCHEMA TOPIC GROUP DELAY BATCH

Each effect's transaction stays open DELAY seconds (pg_sleep), so a SIGKILL lands inside one.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from bus_support import effect_recorder, make_transport

from services.consumer import ConsumerRunner
from services.db import create_pool


async def main(argv: list[str]) -> None:
    kind, dsn, bootstrap, schema, topic, group, delay, batch = argv
    pool = await create_pool(dsn, schema, min_size=1, max_size=4)
    transport = make_transport(kind, pool, bootstrap)
    runner = ConsumerRunner(
        pool, transport, group, [topic], effect_recorder(group, delay=float(delay)), batch_size=int(batch)
    )
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, runner.stop)
    print("READY", flush=True)
    try:
        await runner.run()
    finally:
        await transport.close()
        await pool.close()
    print(f"STATS processed={runner.processed} skipped={runner.skipped}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
