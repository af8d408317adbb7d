"""Exit 0 when a Kafka broker answers ApiVersions and a Metadata request listing at least one broker.

Standard library only, so kafka.sh can wait for readiness before any virtualenv exists.
Usage: python3 probe.py HOST:PORT [timeout_seconds]
"""

from __future__ import annotations

import socket
import struct
import sys

API_VERSIONS, METADATA = 18, 3


def _request(sock: socket.socket, api_key: int, version: int, correlation_id: int, body: bytes) -> bytes:
    client_id = b"kafka.sh-probe"
    header = struct.pack(">hhih", api_key, version, correlation_id, len(client_id)) + client_id
    payload = header + body
    sock.sendall(struct.pack(">i", len(payload)) + payload)
    size = struct.unpack(">i", _read(sock, 4))[0]
    data = _read(sock, size)
    if struct.unpack(">i", data[:4])[0] != correlation_id:
        raise RuntimeError("correlation id mismatch")
    return data[4:]


def _read(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by broker")
        buf += chunk
    return buf


def probe(host: str, port: int, timeout: float) -> str:
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        data = _request(sock, API_VERSIONS, 0, 1, b"")
        error, count = struct.unpack(">hi", data[:6])
        if error:
            raise RuntimeError(f"ApiVersions error {error}")
        versions = {}
        for i in range(count):
            key, low, high = struct.unpack(">hhh", data[6 + 6 * i : 12 + 6 * i])
            versions[key] = (low, high)
        low, high = versions[METADATA]
        version = max(low, 4)
        if version > min(high, 8):  # 9+ is the flexible encoding, not spoken here
            raise RuntimeError(f"no Metadata version in 4..8 (broker: {low}..{high})")
        # All topics (null array), no auto-creation.
        data = _request(sock, METADATA, version, 2, struct.pack(">ib", -1, 0))
        brokers = struct.unpack(">i", data[4:8])[0]
        if brokers < 1:
            raise RuntimeError("metadata lists no broker yet")
        return f"broker answers (Metadata v{version}, {brokers} broker(s))"


def main() -> int:
    host, _, port = sys.argv[1].rpartition(":")
    timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    try:
        print(probe(host or "127.0.0.1", int(port), timeout))
    except (OSError, RuntimeError, KeyError, struct.error) as exc:
        print(f"not ready: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
