"""The event pipeline's metrics: what the consumer counts as it works, and what the sampler reads.

Given messages on the bus, one of which always fails, when the consumer has handled them and the sampler has
run, then the counters and gauges on the Prometheus registry say so, labelled by service, consumer, topic and
partition. A relay that has published nothing reports the whole outbox as its backlog, with its age.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

sys.path.insert(0, str(Path(__file__).parent / "procs"))

from bus_support import bootstrap, bus_world, dsn, publish, wait_until

from services.consumer import ConsumerRunner, RetryPolicy
from services.envelope import Envelope
from services.log_reader import Conn
from services.pipeline_metrics import PipelineMetrics
from services.relay import OutboxRelay

__all__ = ["bootstrap", "dsn"]


async def refuse_poison(conn: Conn, envelope: Envelope) -> None:
    if envelope.data.get("poison"):
        raise RuntimeError("cannot digest this")


def sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


@pytest.mark.parametrize("kind", ["postgres", pytest.param("kafka", marks=pytest.mark.kafka)])
async def test_consumer_counters_and_sampled_gauges(kind: str, dsn: str, bootstrap: str) -> None:
    async with bus_world(kind, dsn, bootstrap, partitions=2) as world:
        name, service = world.group("metrics"), f"svc-{world.producer}"
        runner = ConsumerRunner(
            world.consumer_pool,
            world.transport,
            name,
            [world.topic],
            refuse_poison,
            retry=RetryPolicy(max_attempts=3, base_delay=0.01),
            service=service,
        )
        world.background(runner.run(world.stop))
        for v in range(1, 6):
            await publish(world.store, world.producer, f"s{v}", 1, poison=v == 3)

        await wait_until(lambda: _finished(runner, 5), 60, "five messages handled", diagnose=world.diagnose)
        await wait_until(lambda: _caught_up(runner), 60, "the group's acknowledgements")
        await PipelineMetrics(service, world.consumer_pool, None, [runner]).sample()

        who = {"service_name": service, "messaging_consumer_group_name": name}
        assert sample("consumer_messages_total", **who, outcome="processed") == 4
        assert sample("consumer_messages_total", **who, outcome="dead_lettered") == 1
        assert sample("consumer_dead_letters_total", **who, messaging_destination_name=world.topic) == 1
        assert (
            sample("consumer_handler_failures_total", **who, event_type=f"{world.producer}.ThingHappened")
            == 3
        )
        assert (
            sample(
                "messaging_process_duration_seconds_count",
                **who,
                event_type=f"{world.producer}.ThingHappened",
            )
            == 5
        )
        assert sample("dead_letters_pending", **who) == 1
        partitions = await runner.lag_by_partition()
        assert partitions, "the sampler saw no partition"
        for topic, partition in partitions:
            at = {
                **who,
                "messaging_destination_name": topic,
                "messaging_destination_partition_id": str(partition),
            }
            assert sample("consumer_lag_messages", **at) == 0
            assert sample("consumer_lag_seconds", **at) == 0


async def test_a_relay_that_published_nothing_reports_the_whole_outbox(dsn: str, bootstrap: str) -> None:
    async with bus_world("postgres", dsn, bootstrap) as world:
        for v in range(1, 4):
            await publish(world.store, world.producer, f"s{v}", 1)
        # Never run: its checkpoint is at the start, so every committed row is behind it.
        idle = OutboxRelay(world.producer_pool, bootstrap, schema=world.producer, checkpoint="idle-relay")
        service = f"svc-{world.producer}"
        await PipelineMetrics(service, world.producer_pool, idle, []).sample()
        assert sample("outbox_relay_backlog", service_name=service) == 3
        age = sample("outbox_relay_oldest_unpublished_age_seconds", service_name=service)
        assert age is not None
        assert age >= 0


async def _finished(runner: ConsumerRunner, n: int) -> bool:
    return runner.processed + runner.dead_lettered >= n


async def _caught_up(runner: ConsumerRunner) -> bool:
    return await runner.lag() == 0
