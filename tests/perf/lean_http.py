"""A lean HTTP/1.1 client for the load generators: keep-alive connections to one server, a request written
as one buffer, the answer's status and body read by Content-Length.

Why not httpx: at 70 requests/s httpx spent half a core of the 2 this machine shares with the servers
(connection-pool bookkeeping per request); the generator then slowed what it measured. This client does
only what the generator needs and raises on anything else (chunked answers, HTTP/1.0).
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

# uvicorn closes a connection idle 5 s: one idle longer is not reused (its close may cross our request).
IDLE_REUSE = 3.0


class LeanClient:
    def __init__(self, base_url: str, max_connections: int = 400) -> None:
        url = urlsplit(base_url)
        if url.scheme != "http" or url.hostname is None:
            raise ValueError(f"only http://host:port, not {base_url}")
        self.host, self.port = url.hostname, url.port or 80
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
        self._slots = asyncio.Semaphore(max_connections)
        self._head = f"Host: {self.host}:{self.port}\r\n"

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request = (
            f"POST {path} HTTP/1.1\r\n{self._head}{head}Content-Length: {len(body)}\r\n\r\n".encode() + body
        )
        async with self._slots:
            reader, writer = await self._connection()
            try:
                writer.write(request)
                status, answer, keep = await _read_answer(reader)
            except BaseException:
                writer.close()
                raise
            if keep:
                self._idle.append((reader, writer, time.monotonic()))
            else:
                writer.close()
            return status, answer

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        while self._idle:
            reader, writer, since = self._idle.pop()
            if time.monotonic() - since < IDLE_REUSE and not reader.at_eof():
                return reader, writer
            writer.close()
        return await asyncio.open_connection(self.host, self.port)

    async def aclose(self) -> None:
        for _, writer, _ in self._idle:
            writer.close()
        self._idle.clear()


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    version, status = head[0].split(" ", 2)[:2]
    fields = {}
    for line in head[1:]:
        if line:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
    if "content-length" not in fields:
        raise ValueError(f"an answer without Content-Length: {head[0]} {fields}")
    body = await reader.readexactly(int(fields["content-length"]))
    keep = version == "HTTP/1.1" and fields.get("connection", "").lower() != "close"
    return int(status), body, keep
