"""OCPP-J frames (OCPP-J 1.6 section 4): CALL, CALLRESULT and CALLERROR as a tagged array union.

`parse_frame` decodes the outer array once, keeping the payload as raw JSON for the action's
own decoder. Its errors say what the CALLERROR must say: the uniqueId to echo and the reason.
"""

from __future__ import annotations

from typing import Any

import msgspec

from ocppcore.v16.types import Payload

MAX_UNIQUE_ID_LENGTH = 36


class Call(msgspec.Struct, array_like=True, tag=2, frozen=True, forbid_unknown_fields=True):
    unique_id: str
    action: str
    payload: msgspec.Raw


class CallResult(msgspec.Struct, array_like=True, tag=3, frozen=True, forbid_unknown_fields=True):
    unique_id: str
    payload: msgspec.Raw


class CallError(msgspec.Struct, array_like=True, tag=4, frozen=True, forbid_unknown_fields=True):
    unique_id: str
    error_code: str
    error_description: str
    error_details: msgspec.Raw = msgspec.Raw(b"{}")


Frame = Call | CallResult | CallError
KNOWN_MESSAGE_TYPES = frozenset({2, 3, 4})

_frame_decoder = msgspec.json.Decoder(Frame)
_any_decoder = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder()


class FrameError(Exception):
    """The text is not a well-formed OCPP-J frame: answer FormationViolation with `unique_id`."""

    def __init__(self, unique_id: str, description: str) -> None:
        super().__init__(description)
        self.unique_id = unique_id
        self.description = description


class UnknownMessageType(Exception):
    """A frame whose message type id is not 2, 3 or 4: ignored, as OCPP-J 1.6 section 4.1.3 says."""


def parse_frame(text: str | bytes) -> Frame:
    """Decode one frame.

    Raises FrameError for anything malformed and UnknownMessageType for a frame whose type id
    is not one of CALL, CALLRESULT, CALLERROR.
    """
    try:
        frame: Frame = _frame_decoder.decode(text)
    except msgspec.DecodeError as exc:
        raise _diagnose(text, exc) from None
    if len(frame.unique_id) > MAX_UNIQUE_ID_LENGTH:
        raise FrameError(frame.unique_id, f"uniqueId longer than {MAX_UNIQUE_ID_LENGTH} characters")
    return frame


def _diagnose(text: str | bytes, exc: msgspec.DecodeError) -> Exception:
    """The slow path, for frames that failed to decode: find the uniqueId and the reason."""
    try:
        value: Any = _any_decoder.decode(text)
    except msgspec.DecodeError:
        return FrameError("-1", "frame is not valid JSON")
    if not isinstance(value, list) or not value:
        return FrameError("-1", "frame is not a non-empty JSON array")
    unique_id = value[1] if len(value) > 1 and isinstance(value[1], str) else "-1"
    message_type = value[0]
    if type(message_type) is int and message_type not in KNOWN_MESSAGE_TYPES:
        return UnknownMessageType(f"unknown message type id {message_type}")
    return FrameError(unique_id, f"malformed frame: {exc}")


def encode_call(unique_id: str, action: str, payload: Payload) -> str:
    return _encoder.encode((2, unique_id, action, payload)).decode()


def encode_result(unique_id: str, payload: Payload) -> str:
    return _encoder.encode((3, unique_id, payload)).decode()


def encode_error(
    unique_id: str, code: str, description: str, details: dict[str, Any] | None = None
) -> str:
    return _encoder.encode((4, unique_id, code, description, details or {})).decode()
