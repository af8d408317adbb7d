"""The API client a request comes from, as the gateway resolved it from the credential."""

from __future__ import annotations

from dataclasses import dataclass

from services.internal_token import Caller


@dataclass(frozen=True)
class ApiClient:
    """Who calls: the tenant comes from here and only from here; `api_version` is the one it is pinned to."""

    client_id: str
    tenant: str
    scopes: frozenset[str]
    api_version: str

    def as_caller(self) -> Caller:
        return Caller(tenant=self.tenant, client_id=self.client_id, scopes=self.scopes)
