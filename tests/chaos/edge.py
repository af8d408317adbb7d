"""A TCP proxy in front of the gateway that, once armed, SIGKILLs the gateway the moment a whole answer has
gone through to the client: nothing the gateway would do after answering (a write left for later, a flush at
shutdown) gets a chance to run.

Put between the gateway and a service with `before_forwarding`, it kills the gateway once the service's whole
answer is in, before passing it on: the service committed, the gateway never knew (its crash window)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from services.testkit.infrastructure import free_port

_HEAD_END = b"\r\n\r\n"


def _complete(answer: bytes) -> bool:
    """Whether `answer` holds a whole HTTP/1.1 response (headers, and the body its Content-Length gives)."""
    head, found, body = answer.partition(_HEAD_END)
    if not found:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return True  # no length: the headers are the answer (the gateway gives a length to every answer)


class KillOnAnswer:
    def __init__(
        self, upstream_port: int, kill: Callable[[], None], *, before_forwarding: bool = False
    ) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self._kill = kill
        self._before_forwarding = before_forwarding
        self.armed = False
        self.killed = 0
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[object]] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            # Python 3.11's server leaves its connections' handlers running: ended here, before the loop.
            for connection in self._connections:
                connection.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await self._server.wait_closed()

    async def _connection(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        this = asyncio.current_task()
        assert this is not None
        self._connections.add(this)
        this.add_done_callback(self._connections.discard)
        try:
            gateway_in, gateway_out = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            client_out.close()
            return
        upstream = asyncio.create_task(self._pump(client_in, gateway_out))
        try:
            answer = b""
            while chunk := await gateway_in.read(65536):
                answer += chunk
                if self.armed and self._before_forwarding and _complete(answer):
                    self.armed = False
                    self._kill()  # the answer is here; the one waiting for it dies without it
                    self.killed += 1
                    break
                client_out.write(chunk)
                await client_out.drain()
                if self.armed and _complete(answer):
                    self.armed = False
                    self._kill()  # the client has the whole answer; the gateway does nothing more
                    self.killed += 1
                    break
                if _complete(answer):
                    answer = b""  # keep-alive: the next answer starts afresh
        finally:
            upstream.cancel()
            for writer in (client_out, gateway_out):
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
