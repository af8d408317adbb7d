"""Errors the event store raises."""


class ConcurrencyConflict(Exception):
    """The stream is not at the version the command was decided on; another writer went first."""

    def __init__(self, stream_id: str, expected_version: int, actual_version: int | None = None) -> None:
        self.stream_id = stream_id
        self.expected_version = expected_version
        self.actual_version = actual_version
        super().__init__(
            f"stream {stream_id!r} is not at version {expected_version}"
            + (f" (it is at {actual_version})" if actual_version is not None else "")
        )
