"""The sans-I/O session: text in, typed events and reply text out. No sockets here.

Every row of SPEC's bad-input table is answered exactly as it says; a property test feeds any
text and any JSON and asserts the session never raises and every CALL gets a CALLRESULT or a
well-formed CALLERROR.
"""

from __future__ import annotations

import tempfile
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ocppcore import errors
from ocppcore.handlers import Context, check_receipts
from ocppcore.handlers.central import HANDLERS
from ocppcore.session import (
    CallPending,
    CallReceived,
    ChargePointSession,
    ErrorReceived,
    Ignored,
    Rejected,
    ResultReceived,
)
from ocppcore.v16 import ACTIONS, core
from store import events as ev
from store.admission import Receipt
from store.log import Store
from tests.strategies import payloads


def new_session() -> ChargePointSession:
    return ChargePointSession("CP-1", HANDLERS)


START = '{"connectorId":1,"idTag":"A","meterStart":0,"timestamp":"2026-01-01T00:00:00Z"}'
BAD_INPUT = [
    ("not json", "not JSON", "FormationViolation", "-1"),
    ("object", '{"a": 1}', "FormationViolation", "-1"),
    ("empty array", "[]", "FormationViolation", "-1"),
    ("uniqueId not a string", '[2, 17, "Heartbeat", {}]', "FormationViolation", "-1"),
    ("action not a string", '[2, "u1", 5, {}]', "FormationViolation", "u1"),
    ("call too short", '[2, "u1", "Heartbeat"]', "FormationViolation", "u1"),
    ("call too long", '[2, "u1", "Heartbeat", {}, 1]', "FormationViolation", "u1"),
    ("type id as string", '["2", "u1", "Heartbeat", {}]', "FormationViolation", "u1"),
    (
        "uniqueId of 37 characters",
        f'[2, "{"x" * 37}", "Heartbeat", {{}}]',
        "FormationViolation",
        "x" * 37,
    ),
    ("action not in OCPP 1.6J", '[2, "u1", "Teleport", {}]', "NotImplemented", "u1"),
    (
        "central system action sent by a charger",
        '[2, "u1", "Reset", {"type": "Hard"}]',
        "NotSupported",
        "u1",
    ),
    (
        "security extension action",
        '[2, "u1", "SignCertificate", {"csr": "x"}]',
        "NotSupported",
        "u1",
    ),
    ("missing required field", '[2, "u1", "Authorize", {}]', "OccurenceConstraintViolation", "u1"),
    (
        "wrong type",
        '[2, "u1", "StartTransaction", '
        + START.replace('"connectorId":1', '"connectorId":"1"')
        + "]",
        "TypeConstraintViolation",
        "u1",
    ),
    (
        "too long",
        '[2, "u1", "Authorize", {"idTag": "ABCDEFGHIJKLMNOPQRSTU"}]',
        "PropertyConstraintViolation",
        "u1",
    ),
    (
        "not in enum",
        '[2, "u1", "FirmwareStatusNotification", {"status": "Melted"}]',
        "PropertyConstraintViolation",
        "u1",
    ),
    ("payload not an object", '[2, "u1", "Heartbeat", []]', "FormationViolation", "u1"),
]


@pytest.mark.parametrize(
    ("text", "code", "unique_id"), [row[1:] for row in BAD_INPUT], ids=[row[0] for row in BAD_INPUT]
)
def test_bad_input_is_answered_as_spec_says(text: str, code: str, unique_id: str) -> None:
    inbound = new_session().receive_text(text)
    assert isinstance(inbound, Rejected)
    assert inbound.error.code == code
    frame = msgspec.json.decode(inbound.reply)
    assert frame[:3] == [4, unique_id, code]
    assert isinstance(frame[3], str) and frame[3]
    assert frame[4] == {}


def test_unknown_message_type_is_ignored() -> None:
    assert isinstance(new_session().receive_text('[5, "u1", "Heartbeat", {}]'), Ignored)


def test_valid_call_is_decoded() -> None:
    inbound = new_session().receive_text(f'[2, "u1", "StartTransaction", {START}]')
    assert isinstance(inbound, CallReceived)
    assert inbound.action.name == "StartTransaction"
    assert isinstance(inbound.request, core.StartTransactionRequest)
    assert inbound.request.connector_id == 1


def test_unknown_fields_from_chargers_are_ignored() -> None:
    inbound = new_session().receive_text('[2, "u1", "Heartbeat", {"vendorExtra": 1}]')
    assert isinstance(inbound, CallReceived)


def test_one_outstanding_call_and_its_answer() -> None:
    session = new_session()
    unique_id, text = session.call(core.ResetRequest(type="Soft"))
    assert msgspec.json.decode(text) == [2, unique_id, "Reset", {"type": "Soft"}]
    with pytest.raises(CallPending):
        session.call(core.ClearCacheRequest())
    assert isinstance(session.receive_text('[3, "other", {}]'), Ignored)
    inbound = session.receive_text(f'[3, "{unique_id}", {{"status": "Accepted"}}]')
    assert isinstance(inbound, ResultReceived)
    assert inbound.response == core.ResetResponse(status="Accepted")
    assert session.outstanding_call is None


def test_invalid_result_and_call_error_end_the_call() -> None:
    session = new_session()
    unique_id, _ = session.call(core.ResetRequest(type="Soft"))
    inbound = session.receive_text(f'[3, "{unique_id}", {{"status": "Maybe"}}]')
    assert isinstance(inbound, ErrorReceived) and inbound.code == "InvalidResult"
    unique_id, _ = session.call(core.ResetRequest(type="Hard"))
    inbound = session.receive_text(f'[4, "{unique_id}", "NotSupported", "no", {{}}]')
    assert isinstance(inbound, ErrorReceived) and inbound.code == "NotSupported"
    session.call(core.ClearCacheRequest())
    session.abandon_call()
    assert session.outstanding_call is None


def test_charger_actions_cannot_be_called_by_us() -> None:
    with pytest.raises(ValueError):
        new_session().call(core.HeartbeatRequest())


# --- never raises, always answers ---------------------------------------------------------

_STORE_DIR = tempfile.TemporaryDirectory(prefix="ocppcore-test-session-")
_STORE = Store(_STORE_DIR.name, map_size=2**28)
_STORE.commit(
    [
        ev.AccountCreated(at=1, account="acct_1", name="default", id_tag_policy="open"),
        ev.StationRegistered(
            at=1, station="chst_1", account="acct_1", charge_point_id="CP-1", token_digest=b"t"
        ),
    ]
)


def answer(session: ChargePointSession, text: str) -> str | None:
    """What the transport would send back, with the store's receipts faked."""
    inbound = session.receive_text(text)
    if isinstance(inbound, Rejected):
        return inbound.reply
    if not isinstance(inbound, CallReceived):
        return None
    try:
        with _STORE.read() as reader:
            station = reader.station("chst_1")
            assert station is not None
            context = Context(station, reader, 1_700_000_000_000, 300, lambda p: f"{p}_x")
            outcome = HANDLERS[inbound.action.name](inbound.request, context)
        receipts = [Receipt(seq=1, transaction_id=7) for _ in outcome.events]
        check_receipts(receipts)
        return session.reply(inbound.unique_id, outcome.respond(receipts))
    except errors.OcppError as exc:
        return session.reply_error(inbound.unique_id, exc)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
charger_actions = sorted(HANDLERS)


@st.composite
def frames(draw: st.DrawFn) -> str:
    choice = draw(st.integers(0, 3))
    if choice == 0:
        return draw(st.text(max_size=80))
    if choice == 1:
        return msgspec.json.encode(draw(json_values)).decode()
    unique_id = draw(st.text(max_size=40))
    action = draw(
        st.sampled_from(charger_actions) | st.sampled_from(sorted(ACTIONS)) | st.text(max_size=12)
    )
    if choice == 2 and action in ACTIONS:
        payload: Any = draw(payloads(ACTIONS[action].request))
    else:
        payload = draw(json_values)
    return msgspec.json.encode([2, unique_id, action, payload]).decode()


def _is_call(text: str) -> str | None:
    try:
        value = msgspec.json.decode(text)
    except msgspec.DecodeError:
        return None
    if isinstance(value, list) and len(value) == 4 and value[0] == 2 and isinstance(value[1], str):
        return value[1]
    return None


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=frames())
def test_any_input_never_raises_and_every_call_is_answered(text: str) -> None:
    reply = answer(new_session(), text)
    unique_id = _is_call(text)
    if unique_id is None:
        if reply is not None:  # a malformed frame gets a CALLERROR
            frame = msgspec.json.decode(reply)
            assert frame[0] == 4 and frame[2] in errors.ERROR_CODES
        return
    assert reply is not None
    frame = msgspec.json.decode(reply)
    assert frame[1] == unique_id
    if frame[0] == 3:
        assert isinstance(frame[2], dict)
    else:
        assert frame[0] == 4
        assert frame[2] in errors.ERROR_CODES
        assert isinstance(frame[3], str)
        assert frame[4] == {}
