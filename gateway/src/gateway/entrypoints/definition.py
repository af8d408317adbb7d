"""The gateway as the runtime sees it: the public routers, and upstream clients built by the caller."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gateway.config import Settings
from gateway.entrypoints.app_setup import configure
from gateway.inbound import hire_processing, revocation
from gateway.ops import routes as ops_routes
from gateway.outbound import running as outbound
from gateway.read_cache.bus import invalidation_consumer
from gateway.read_cache.store import ReadCache
from gateway.routes import (
    activities,
    assemblies,
    contract_statistics,
    contracts,
    employees,
    gdc,
    hires,
    inbound_webhooks,
    invoices,
    members,
    membership_counts,
    oauth,
    payroll,
    personal_data,
    receivables,
    shares,
    webhook_endpoints,
)
from gateway.routes.employers import router as employer_structures_router
from gateway.routes.upstreams import Upstreams
from gateway.upstream import ServiceClient, Upstream
from services.runtime import Resources, ServiceDefinition

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"

# service name -> the client that reaches its internal API (in process or over HTTP)
ClientFor = Callable[[str], ServiceClient]


def definition(client_for: ClientFor) -> ServiceDefinition:
    read_cache = ReadCache()  # one per runtime: its app's middleware and its bus consumer share it

    def build(resources: Resources) -> Upstreams:
        settings = resources.settings
        if isinstance(settings, Settings):
            read_cache.configure(
                enabled=settings.read_cache_enabled,
                max_entries=settings.read_cache_max_entries,
                ttl_seconds=settings.read_cache_ttl_seconds,
            )
        secret = settings.internal_token_secret.get_secret_value()
        return Upstreams(
            members=Upstream("members", client_for("members"), secret),
            contracts=Upstream("contracts", client_for("contracts"), secret),
            payroll=Upstream("payroll", client_for("payroll"), secret),
            billing=Upstream("billing", client_for("billing"), secret),
        )

    return ServiceDefinition(
        name="gateway",
        title="SmartFr back-office API",
        migrations=MIGRATIONS,
        # Matched in this order, route by route: the busiest route first, associations' pushed hires
        # (`POST /v1/webhooks/hires`: behind 18 routers, matching it cost 3-4 % of the gateway's CPU a
        # hire), then the other inbound webhooks; no two routers' paths overlap.
        routers=[
            hires.router,
            inbound_webhooks.router,
            oauth.router,
            members.router,
            personal_data.router,
            employees.router,
            webhook_endpoints.router,
            employer_structures_router,
            assemblies.router,
            shares.router,
            membership_counts.router,
            payroll.router,
            ops_routes.router,
            contracts.router,
            contract_statistics.router,
            invoices.router,
            receivables.router,
            activities.router,
            gdc.router,
        ],
        produces=["gateway.events"],
        build=build,
        configure_app=lambda app: configure(app, read_cache),
        consumers=lambda service: [
            *outbound.consumers(service),
            invalidation_consumer(read_cache),
            *revocation.consumers(service),
        ],
        background=lambda service, resources: [
            *outbound.background(service, resources),
            *hire_processing.background(service, resources),
        ],
    )
