"""The gateway's read cache of single resources, kept correct by invalidation (ADR 007)."""

from gateway.read_cache.marker import cached_read, is_cached_read

__all__ = ["cached_read", "is_cached_read"]
