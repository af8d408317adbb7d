"""Topic creation at service start-up: the broker's auto-creation is off, so partitions come from settings."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code

from services.envelope import dead_letter_topic

log = logging.getLogger(__name__)


async def ensure_topics(
    bootstrap: str,
    topics: Iterable[str],
    partitions: int,
    replication: int = 1,
    *,
    with_dead_letters: bool = True,
) -> list[str]:
    """Create each topic (and its `<topic>.dlq`) unless it exists; returns the names created now.

    Idempotent: several processes may race at start-up and the loser's "already exists" is success. An
    existing topic keeps its partition count (growing it would move keys between partitions).
    """
    wanted: list[str] = []
    for topic in topics:
        wanted.append(topic)
        if with_dead_letters:
            wanted.append(dead_letter_topic(topic))
    wanted = list(dict.fromkeys(wanted))
    if not wanted:
        return []
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in wanted if t not in existing]
        if not missing:
            return []
        response = await admin.create_topics(
            [NewTopic(name=t, num_partitions=partitions, replication_factor=replication) for t in missing]
        )
        created: list[str] = []
        for entry in response.topic_errors:
            name, code = entry[0], entry[1]
            if code == 0:
                created.append(name)
            elif code != TopicAlreadyExistsError.errno:
                raise for_code(code)(f"creating topic {name!r}: {entry[2] if len(entry) > 2 else ''}")
        log.info("created topics %s", created)
        return created
    finally:
        await admin.close()
