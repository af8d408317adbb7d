"""The `personal_data_keys` table: a person's wrapped data key, made once, deleted by their erasure."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from members_svc.keyring.cipher import DataKey, KeyEncryptionKey
from services.log_reader import Conn


class Keyring:
    def __init__(self, kek: KeyEncryptionKey) -> None:
        self._kek = kek

    async def save(self, conn: Conn | Any, tenant: str, member_id: UUID, key: DataKey) -> None:
        """A new member's key, in the transaction that records what it sealed."""
        await conn.execute(
            """INSERT INTO personal_data_keys (tenant, member_id, wrapped_key, kek_id)
               VALUES ($1, $2, $3, $4)""",
            tenant,
            member_id,
            key.wrapped_by(self._kek),
            self._kek.kek_id,
        )

    async def find(self, conn: Conn | Any, tenant: str, member_id: UUID) -> DataKey | None:
        """The person's key, or None once erased (or for a member recorded before keys existed)."""
        wrapped = await conn.fetchval(
            "SELECT wrapped_key FROM personal_data_keys WHERE tenant = $1 AND member_id = $2",
            tenant,
            member_id,
        )
        return None if wrapped is None else self._kek.unwrap(wrapped, tenant, member_id)

    async def delete(self, conn: Conn | Any, tenant: str, member_id: UUID) -> None:
        await conn.execute(
            "DELETE FROM personal_data_keys WHERE tenant = $1 AND member_id = $2", tenant, member_id
        )
