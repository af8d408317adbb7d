"""`backoffice`: run the back-office embedded, serve one process of it, start them all, manage API clients."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import uvicorn
import uvloop

from services.logs import configure_logging

ROOT = Path(__file__).resolve().parents[2]


def _start_postgres(var_dir: Path, port: int) -> str:
    env = {**os.environ, "VAR_DIR": str(var_dir), "PG_PORT": str(port)}
    subprocess.run(
        [str(ROOT / "deploy/postgres/pg.sh"), "start"], check=True, env=env, stdout=subprocess.DEVNULL
    )
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


def _start_kafka(var_dir: Path, port: int) -> str:
    env = {
        **os.environ,
        "VAR_DIR": str(var_dir),
        "KAFKA_PORT": str(port),
        "KAFKA_CONTROLLER_PORT": str(port + 1),
    }
    subprocess.run(
        [str(ROOT / "deploy/kafka/kafka.sh"), "start"], check=True, env=env, stdout=subprocess.DEVNULL
    )
    return f"127.0.0.1:{port}"


async def _serve(app: object, host: str, port: int) -> None:
    # No access log: a line per request costs more than the request here; /metrics counts them by route.
    # log_config=None: uvicorn's own lines go through the process's JSON logging, not its own handlers.
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        log_level="info",
        log_config=None,
        lifespan="off",
        access_log=False,
    )
    server = uvicorn.Server(config)
    await server.serve()


async def run_embedded(args: argparse.Namespace) -> None:
    from backoffice.credentials import ensure_dev_credentials, how_to_call
    from backoffice.embedded import EmbeddedBackoffice
    from services.telemetry import setup_tracing

    var_dir = Path(args.var_dir).resolve()
    database_url = args.database_url or _start_postgres(var_dir, args.pg_port)
    backoffice = EmbeddedBackoffice(database_url, **(_demo_settings() if args.demo else {}))
    tracing = setup_tracing("backoffice", backoffice.gateway.settings.otel_enabled)
    await backoffice.start()
    try:
        keys = await ensure_dev_credentials(backoffice.gateway.pool, var_dir / "dev-credentials.json")
        if args.demo:
            await _load_demo(backoffice, keys, seed=args.demo_seed, scale=args.demo_scale)
        print(how_to_call(f"http://{args.host}:{args.port}", keys), flush=True)
        await _serve(backoffice.gateway.app, args.host, args.port)
    finally:
        await backoffice.stop()
        if tracing is not None:
            tracing.shutdown()


def _demo_settings() -> dict[str, Any]:
    """The demo's load goes through the gateway as one client per tenant: no rate limit in its way; and the
    CAEs' share nominal the demo assumes (backoffice.demo), unless MEMBERS_SHARE_NOMINALS sets one."""
    from backoffice.demo import DEMO_NOMINALS

    settings: dict[str, Any] = {"rate_limit_quota": 1_000_000}
    if not os.environ.get("MEMBERS_SHARE_NOMINALS"):
        settings["share_nominals"] = dict(DEMO_NOMINALS)
    return settings


async def _load_demo(backoffice: object, keys: dict[str, str], *, seed: int, scale: float) -> None:
    """The demo population through the gateway's API (in process), reporting how long it took."""
    import httpx

    from backoffice.demo import generate, load
    from backoffice.embedded import EmbeddedBackoffice

    assert isinstance(backoffice, EmbeddedBackoffice)
    population = generate(seed=seed, scale=scale)
    transport = httpx.ASGITransport(app=backoffice.gateway.app)
    requests_log = logging.getLogger("httpx")
    level = requests_log.level
    requests_log.setLevel(logging.WARNING)  # not a line per call for some 20,000 calls
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=60) as gateway:
            print(f"Loading the demo population (seed {seed}, scale {scale:g})...", flush=True)
            report = await load(gateway, keys, population)
    finally:
        requests_log.setLevel(level)
    members = ", ".join(f"{tenant} {count}" for tenant, count in report.members.items())
    print(
        f"Demo loaded in {report.seconds:.1f} s: members {members}, {report.structures} associations, "
        f"{report.requests} API calls ({report.requests / report.seconds:.0f}/s).",
        flush=True,
    )


async def serve_one(args: argparse.Namespace) -> None:
    """One process of the distributed mode: a service (API, relay, consumers, projections) or the gateway."""
    from backoffice.catalogue import GATEWAY_SETTINGS, SERVICES
    from services.runtime import ServiceRuntime
    from services.settings import ServiceSettings
    from services.telemetry import setup_tracing

    if args.name == "gateway":
        from gateway.entrypoints.definition import definition as gateway_definition
        from gateway.upstream import HttpClient

        settings: ServiceSettings = GATEWAY_SETTINGS(bus="kafka")
        urls = {
            name: getattr(settings, f"{name}_url") for name in ("members", "contracts", "billing", "payroll")
        }
        clients = [HttpClient(url) for url in urls.values()]
        by_name = dict(zip(urls, clients, strict=True))
        runtime = ServiceRuntime(gateway_definition(lambda name: by_name[name]), settings)
    else:
        one = SERVICES[args.name]
        settings = one.settings(bus="kafka")
        runtime = ServiceRuntime(one.definition(), settings)
        clients = []
    tracing = setup_tracing(settings.service_name, settings.otel_enabled)
    # `api` replicas answer HTTP only; `worker` replicas also run the relay (one leader), the consumers (one
    # group), the projections and background work; `all` is both in one process.
    await runtime.start(background=args.role != "api")
    try:
        await _serve(runtime.app, settings.http_host, settings.http_port)
    finally:
        for client in clients:
            await client.close()
        await runtime.stop()
        if tracing is not None:
            tracing.shutdown()


def up(args: argparse.Namespace) -> None:
    """Every service and the gateway as its own process, talking through the real Kafka broker."""
    var_dir = Path(args.var_dir).resolve()
    database_url = _start_postgres(var_dir, args.pg_port)
    bootstrap = _start_kafka(var_dir, args.kafka_port)
    env = dict(os.environ)
    for prefix in ("MEMBERS", "CONTRACTS", "BILLING", "PAYROLL", "GATEWAY"):
        env[f"{prefix}_DATABASE_URL"] = database_url
        env[f"{prefix}_KAFKA_BOOTSTRAP"] = bootstrap
    processes = [
        subprocess.Popen([sys.executable, "-m", "backoffice.cli", "serve", name], env=env)
        for name in ("members", "contracts", "billing", "payroll", "gateway")
    ]
    print(f"started {len(processes)} processes; the gateway answers on http://127.0.0.1:8000 (Ctrl-C stops)")
    try:
        for process in processes:
            process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)


async def webhooks_issue_secret(args: argparse.Namespace) -> None:
    """An inbound webhook signing secret for a source (created with --client if new), printed once."""
    from datetime import UTC, datetime

    from gateway.config import Settings as GatewaySettings
    from gateway.inbound.sealing import Sealer
    from gateway.inbound.sources import ROTATION_OVERLAP, SourceError, issue_secret
    from services.db import create_pool

    sealer = Sealer(GatewaySettings().secrets_encryption_key.get_secret_value())
    pool = await create_pool(args.database_url, "gateway")
    try:
        async with pool.acquire() as conn:
            secret = await issue_secret(
                conn,
                sealer,
                tenant=args.tenant,
                source_id=args.source,
                client_id=args.client,
                now=datetime.now(UTC),
            )
    except SourceError as refused:
        raise SystemExit(str(refused)) from None
    finally:
        await pool.close()
    print(f"source: {args.source}\nsecret: {secret}   (shown once: keep it now)")
    hours = int(ROTATION_OVERLAP.total_seconds() // 3600)
    print(f"the source's previous secret, if any, stays valid for {hours} hours")


def main(argv: list[str] | None = None) -> None:
    from backoffice.credentials import add_client_commands, run_client_command

    parser = argparse.ArgumentParser(prog="backoffice")
    parser.add_argument("--var-dir", default=str(ROOT / "var"))
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="the embedded back-office in one process")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--pg-port", type=int, default=5432)
    run.add_argument("--database-url", default=os.environ.get("BACKOFFICE_DATABASE_URL"))
    run.add_argument(
        "--demo",
        action="store_true",
        help="load the generated demo population (the seed's scale) through the API before serving",
    )
    run.add_argument("--demo-seed", type=int, default=2022, help="the demo generator's seed")
    run.add_argument("--demo-scale", type=float, default=1.0, help="a fraction of the seed's scale")

    serve = commands.add_parser("serve", help="one process of the distributed mode (settings from env)")
    serve.add_argument("name", choices=["members", "contracts", "billing", "payroll", "gateway"])
    serve.add_argument("--role", choices=["all", "api", "worker"], default="all")

    start_all = commands.add_parser("up", help="every process of the distributed mode, over Kafka")
    start_all.add_argument("--pg-port", type=int, default=5432)
    start_all.add_argument("--kafka-port", type=int, default=9092)

    add_client_commands(commands)

    webhooks = commands.add_parser("webhooks", help="inbound webhooks").add_subparsers(
        dest="action", required=True
    )
    issue = webhooks.add_parser("issue-secret", help="issue or rotate a source's signing secret")
    issue.add_argument("--tenant", required=True)
    issue.add_argument("--source", required=True, help="the source id (a-z, 0-9, _)")
    issue.add_argument("--client", help="the API client the source pushes with (needed for a new source)")
    issue.add_argument(
        "--database-url",
        default=os.environ.get("GATEWAY_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )

    args = parser.parse_args(argv)
    configure_logging(service=args.name if args.command == "serve" else None)  # JSON lines (services.logs)
    if args.command == "run":
        uvloop.run(run_embedded(args))
    elif args.command == "serve":
        uvloop.run(serve_one(args))  # the servers run on uvloop, as `uvicorn` itself would pick
    elif args.command == "up":
        up(args)
    elif args.command == "clients":
        asyncio.run(run_client_command(args))
    elif args.command == "webhooks":
        asyncio.run(webhooks_issue_secret(args))


if __name__ == "__main__":
    main()
