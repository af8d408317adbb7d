"""Bus transports behind one interface: Kafka (distributed mode) and the PostgreSQL log (embedded mode)."""

from services.bus.base import Delivery, Subscription, Transport
from services.bus.wakeup import PgNotifier, PgWakeup, events_channel, outbox_channel

__all__ = [
    "Delivery",
    "PgNotifier",
    "PgWakeup",
    "Subscription",
    "Transport",
    "events_channel",
    "outbox_channel",
]
