"""Accounts (idTag policy, tariff), API keys and the idTag registry."""

from __future__ import annotations

from typing import Any

from store import events as ev
from store import records
from store.records import AccountRecord, ApiKeyRecord, IdTagRecord
from store.tables import id_tag_key


def _account(txn: Any, t: Any, account: str) -> AccountRecord | None:
    data = txn.get(account.encode(), db=t.accounts)
    return records.decode(AccountRecord, data) if data else None


def _put_account(txn: Any, t: Any, record: AccountRecord) -> None:
    txn.put(record.id.encode(), records.encode(record), db=t.accounts)


def _account_created(txn: Any, t: Any, seq: int, e: ev.AccountCreated) -> None:
    record = AccountRecord(id=e.account, name=e.name, id_tag_policy=e.id_tag_policy, created=e.at)
    _put_account(txn, t, record)
    txn.put(e.name.encode(), e.account.encode(), db=t.accounts_by_name)


def _policy_set(txn: Any, t: Any, seq: int, e: ev.IdTagPolicySet) -> None:
    record = _account(txn, t, e.account)
    if record is not None:
        record.id_tag_policy = e.id_tag_policy
        _put_account(txn, t, record)


def _tariff_set(txn: Any, t: Any, seq: int, e: ev.TariffSet) -> None:
    record = _account(txn, t, e.account)
    if record is not None:
        record.tariff = e.tariff
        _put_account(txn, t, record)


def _key_created(txn: Any, t: Any, seq: int, e: ev.ApiKeyCreated) -> None:
    record = ApiKeyRecord(
        id=e.key_id, account=e.account, display=e.display, digest=e.digest, created=e.at
    )
    txn.put(e.key_id.encode(), records.encode(record), db=t.api_keys)
    txn.put(e.digest, e.key_id.encode(), db=t.api_keys_by_digest)


def _key_revoked(txn: Any, t: Any, seq: int, e: ev.ApiKeyRevoked) -> None:
    data = txn.get(e.key_id.encode(), db=t.api_keys)
    if data is None:
        return
    record = records.decode(ApiKeyRecord, data)
    record.revoked = e.at
    txn.put(e.key_id.encode(), records.encode(record), db=t.api_keys)
    txn.delete(record.digest, db=t.api_keys_by_digest)


def _id_tag_set(txn: Any, t: Any, seq: int, e: ev.IdTagSet) -> None:
    key = id_tag_key(e.account, e.id_tag)
    old = txn.get(key, db=t.id_tags)
    created = records.decode(IdTagRecord, old).created if old else e.at
    record = IdTagRecord(
        account=e.account,
        id_tag=e.id_tag,
        status=e.status,
        created=created,
        updated=e.at,
        expiry=e.expiry,
        parent_id_tag=e.parent_id_tag,
        driver=e.driver,
        vehicle=e.vehicle,
        fleet=e.fleet,
    )
    txn.put(key, records.encode(record), db=t.id_tags)


APPLY: dict[type[ev.Event], Any] = {
    ev.AccountCreated: _account_created,
    ev.IdTagPolicySet: _policy_set,
    ev.TariffSet: _tariff_set,
    ev.ApiKeyCreated: _key_created,
    ev.ApiKeyRevoked: _key_revoked,
    ev.IdTagSet: _id_tag_set,
}
