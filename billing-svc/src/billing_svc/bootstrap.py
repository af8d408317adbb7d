"""Composition root of billing-svc: its handlers come with its issue."""

from __future__ import annotations

from services.runtime import Resources


def build(resources: Resources) -> Resources:
    return resources
