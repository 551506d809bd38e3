"""Administration as events: what an operator does through the CLI or the HTTP API.

Each function checks its input against a snapshot, and returns the events to commit and what to
show the operator. The CLI commits them with `Store.commit`, the API through the writer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from store import credentials
from store import events as ev
from store.errors import InvalidValue, NotFound
from store.ids import IdFactory
from store.reader import Reader
from store.records import AccountRecord

DEFAULT_ACCOUNT = "default"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_CURRENCY = re.compile(r"^[a-z]{3}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass
class Change:
    events: list[ev.Event]
    output: dict[str, Any] = field(default_factory=dict)


def account_named(reader: Reader, name: str) -> AccountRecord:
    account = reader.account_by_name(name)
    if account is None:
        raise NotFound(f"no account named {name!r}", param="account")
    return account


def set_account(
    reader: Reader, name: str, *, id_tag_policy: ev.IdTagPolicy | None, now: int, new_id: IdFactory
) -> Change:
    """Create the account `name` if needed, and set its idTag policy."""
    account = reader.account_by_name(name)
    if account is None:
        if not _NAME.match(name):
            raise InvalidValue(f"invalid account name {name!r}", param="name")
        policy = id_tag_policy or ("open" if name == DEFAULT_ACCOUNT else "registry")
        account_id = new_id("acct")
        event: ev.Event = ev.AccountCreated(
            at=now, account=account_id, name=name, id_tag_policy=policy
        )
        return Change(
            [event], {"account": account_id, "name": name, "id_tag_policy": policy, "created": True}
        )
    events: list[ev.Event] = []
    if id_tag_policy is not None and id_tag_policy != account.id_tag_policy:
        events.append(ev.IdTagPolicySet(at=now, account=account.id, id_tag_policy=id_tag_policy))
    policy = id_tag_policy or account.id_tag_policy
    return Change(
        events, {"account": account.id, "name": name, "id_tag_policy": policy, "created": False}
    )


def create_api_key(account: AccountRecord, *, now: int, new_id: IdFactory) -> Change:
    key = credentials.new_api_key()
    key_id = new_id("key")
    display = key[: credentials.API_KEY_DISPLAY_LENGTH]
    event = ev.ApiKeyCreated(
        at=now, key_id=key_id, account=account.id, display=display, digest=credentials.digest(key)
    )
    return Change(
        [event], {"id": key_id, "account": account.name, "api_key": key, "prefix": display}
    )


def revoke_api_key(reader: Reader, prefix: str, *, now: int) -> Change:
    """Revoke the one live key whose display prefix matches `prefix` (or the whole key)."""
    if len(prefix) < 8:
        raise InvalidValue("give at least 8 characters of the key", param="prefix")
    matches = [
        key
        for key in reader.api_keys()
        if key.revoked is None
        and (key.display.startswith(prefix) or prefix.startswith(key.display))
        and (len(prefix) <= len(key.display) or credentials.digest(prefix) == key.digest)
    ]
    if not matches:
        raise NotFound(f"no live API key starts with {prefix!r}", param="prefix")
    if len(matches) > 1:
        raise InvalidValue(f"{len(matches)} keys start with {prefix!r}: give more", param="prefix")
    key = matches[0]
    return Change(
        [ev.ApiKeyRevoked(at=now, key_id=key.id)],
        {"id": key.id, "prefix": key.display, "revoked": True},
    )


def add_charger(
    reader: Reader,
    charge_point_id: str,
    *,
    account_name: str,
    password: str | None,
    rotate_token: bool,
    now: int,
    new_id: IdFactory,
    registration: ev.Registration | None = None,
) -> Change:
    """Register a charge point, or update its password (and token, with `rotate_token`).

    The connection token is shown when it is issued and never again (it is stored hashed).
    """
    if (
        not charge_point_id.isprintable()
        or not 0 < len(charge_point_id) <= 48
        or "/" in charge_point_id
    ):
        raise InvalidValue("a charge point id is 1 to 48 printable characters, no '/'", param="id")
    if password is not None and not 8 <= len(password) <= 40:
        raise InvalidValue(
            "a password has 8 to 40 characters (OCPP security profile 1)", param="password"
        )
    account = account_named(reader, account_name)
    password_hash = credentials.hash_password(password) if password is not None else None
    existing = reader.station_by_charge_point_id(charge_point_id)
    token: str | None = None
    events: list[ev.Event] = []
    if existing is None:
        token = credentials.new_connection_token()
        station = new_id("chst")
        events.append(
            ev.StationRegistered(
                at=now,
                station=station,
                account=account.id,
                charge_point_id=charge_point_id,
                token_digest=credentials.digest(token),
                password_hash=password_hash,
            )
        )
    else:
        if existing.account != account.id:
            raise InvalidValue(f"{charge_point_id!r} belongs to another account", param="account")
        station = existing.id
        if password is not None:
            events.append(
                ev.StationPasswordSet(at=now, station=station, password_hash=password_hash)
            )
        if rotate_token:
            token = credentials.new_connection_token()
            events.append(
                ev.StationTokenRotated(
                    at=now, station=station, token_digest=credentials.digest(token)
                )
            )
    current = existing.registration if existing else "accepted"
    if registration is not None and registration != current:
        events.append(ev.StationRegistrationSet(at=now, station=station, registration=registration))
    output = {
        "id": station,
        "charge_point_id": charge_point_id,
        "registration": registration or current,
        "account": account.name,
        "created": existing is None,
        "password": password is not None
        or (existing is not None and existing.password_hash is not None),
        "connection_token": token,
    }
    return Change(events, output)


_STATUSES = ("Accepted", "Blocked", "Expired")


def set_id_tag(
    reader: Reader,
    id_tag: str,
    *,
    account_name: str,
    status: str,
    expiry: int | None,
    parent: str | None,
    driver: str | None,
    vehicle: str | None,
    fleet: str | None,
    now: int,
) -> Change:
    if not id_tag or len(id_tag) > 20 or not id_tag.isprintable():
        raise InvalidValue("an idTag is 1 to 20 printable characters", param="id_tag")
    if parent is not None and (not parent or len(parent) > 20):
        raise InvalidValue("a parent idTag is 1 to 20 characters", param="parent")
    if status not in _STATUSES:
        raise InvalidValue(f"status must be one of {', '.join(_STATUSES)}", param="status")
    account = account_named(reader, account_name)
    event = ev.IdTagSet(
        at=now,
        account=account.id,
        id_tag=id_tag,
        status=status,  # type: ignore[arg-type]
        expiry=expiry,
        parent_id_tag=parent,
        driver=driver,
        vehicle=vehicle,
        fleet=fleet,
    )
    existed = reader.id_tag(account.id, id_tag) is not None
    return Change(
        [event],
        {"id_tag": id_tag, "account": account.name, "status": status, "created": not existed},
    )


def set_tariff(
    reader: Reader, account_name: str, *, price_per_kwh: int, currency: str, country: str, now: int
) -> Change:
    if price_per_kwh < 0:
        raise InvalidValue("price_per_kwh must be >= 0 (minor units)", param="price_per_kwh")
    currency = currency.lower()
    country = country.upper()
    if not _CURRENCY.match(currency):
        raise InvalidValue("currency is an ISO 4217 code such as eur", param="currency")
    if not _COUNTRY.match(country):
        raise InvalidValue("country is an ISO 3166-1 alpha-2 code such as FR", param="country")
    account = account_named(reader, account_name)
    tariff = ev.Tariff(price_per_kwh=price_per_kwh, currency=currency, country=country)
    event = ev.TariffSet(at=now, account=account.id, tariff=tariff)
    return Change(
        [event],
        {
            "account": account.name,
            "price_per_kwh": price_per_kwh,
            "currency": currency,
            "country": country,
        },
    )
