"""One charge point's OCPP-J conversation, without I/O (in the manner of h11 and wsproto).

Text goes in, typed events come out; replies and calls go in, text comes out. The rules:

- A CALL from the charge point becomes `CallReceived` once its frame, uniqueId, action and
  payload are valid. Anything wrong becomes `Rejected` carrying the CALLERROR text to send.
- An action outside OCPP 1.6J is `NotImplemented`; a 1.6J action this central system does not
  handle (in this direction) is `NotSupported`.
- A frame whose message type id is unknown is `Ignored` (OCPP-J 1.6 section 4.1.3).
- The central system has at most one CALL outstanding (OCPP-J section 4.1.1). `call` raises
  `CallPending` while one is; a CALLRESULT or CALLERROR for it, or `abandon_call`, ends it.
- A CALLRESULT or CALLERROR that answers no outstanding CALL is `Ignored`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection
from dataclasses import dataclass

import msgspec

from ocppcore import errors, frames
from ocppcore.v16 import ACTION_OF_REQUEST, ACTIONS, SECURITY_EXTENSION_ACTIONS, Action, Direction
from ocppcore.v16.types import Payload


@dataclass(frozen=True, slots=True)
class CallReceived:
    unique_id: str
    action: Action
    request: Payload


@dataclass(frozen=True, slots=True)
class Rejected:
    """A CALL (or what looked like one) that must be answered with `reply`, a CALLERROR."""

    unique_id: str
    error: errors.OcppError
    reply: str


@dataclass(frozen=True, slots=True)
class ResultReceived:
    unique_id: str
    action: Action
    response: Payload


@dataclass(frozen=True, slots=True)
class ErrorReceived:
    """The charge point answered our CALL with a CALLERROR, or with a result that is invalid."""

    unique_id: str
    action: Action
    code: str
    description: str


@dataclass(frozen=True, slots=True)
class Ignored:
    reason: str


Inbound = CallReceived | Rejected | ResultReceived | ErrorReceived | Ignored


class CallPending(Exception):
    """A CALL is already outstanding on this connection."""


@dataclass(frozen=True, slots=True)
class _Outstanding:
    unique_id: str
    action: Action


def _counter_ids() -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: str(next(counter))


class ChargePointSession:
    """One charge point's OCPP-J conversation. Performs no I/O."""

    def __init__(
        self,
        charge_point_id: str,
        handled_actions: Collection[str],
        new_unique_id: Callable[[], str] | None = None,
    ) -> None:
        self.charge_point_id = charge_point_id
        self._handled = frozenset(handled_actions)
        self._new_unique_id = new_unique_id or _counter_ids()
        self._outstanding: _Outstanding | None = None

    @property
    def outstanding_call(self) -> str | None:
        """The uniqueId of our CALL awaiting an answer, if any."""
        return self._outstanding.unique_id if self._outstanding else None

    def receive_text(self, text: str | bytes) -> Inbound:
        """Interpret one text frame from the charge point. Never raises."""
        try:
            frame = frames.parse_frame(text)
        except frames.UnknownMessageType as exc:
            return Ignored(str(exc))
        except frames.FrameError as exc:
            return self._reject(exc.unique_id, errors.FormationViolation(exc.description))
        if isinstance(frame, frames.Call):
            return self._receive_call(frame)
        return self._receive_answer(frame)

    def reply(self, unique_id: str, response: Payload) -> str:
        """The CALLRESULT text answering the charge point's CALL `unique_id`."""
        return frames.encode_result(unique_id, response)

    def reply_error(self, unique_id: str, error: errors.OcppError) -> str:
        """The CALLERROR text answering the charge point's CALL `unique_id`."""
        return frames.encode_error(unique_id, error.code, error.description, error.details)

    def call(self, request: Payload) -> tuple[str, str]:
        """Start a CALL to the charge point: returns (uniqueId, text). Raises CallPending."""
        if self._outstanding is not None:
            raise CallPending(f"CALL {self._outstanding.unique_id} is still outstanding")
        action = ACTION_OF_REQUEST[type(request)]
        if not action.direction & Direction.CS_TO_CP:
            raise ValueError(f"{action.name} is not sent by a central system")
        unique_id = self._new_unique_id()
        self._outstanding = _Outstanding(unique_id, action)
        return unique_id, frames.encode_call(unique_id, action.name, request)

    def abandon_call(self) -> None:
        """Forget the outstanding CALL (it timed out); a late answer to it is then ignored."""
        self._outstanding = None

    def _reject(self, unique_id: str, error: errors.OcppError) -> Rejected:
        return Rejected(unique_id, error, self.reply_error(unique_id, error))

    def _receive_call(self, frame: frames.Call) -> Inbound:
        action = ACTIONS.get(frame.action)
        if action is None:
            if frame.action in SECURITY_EXTENSION_ACTIONS:
                return self._reject(
                    frame.unique_id, errors.NotSupported(f"{frame.action} is not supported")
                )
            return self._reject(
                frame.unique_id, errors.ActionNotImplemented(f"unknown action {frame.action!r}")
            )
        if action.name not in self._handled or not action.direction & Direction.CP_TO_CS:
            return self._reject(
                frame.unique_id, errors.NotSupported(f"{action.name} is not supported")
            )
        try:
            request = action.request_decoder.decode(frame.payload)
        except msgspec.ValidationError as exc:
            return self._reject(frame.unique_id, errors.error_for(exc))
        except msgspec.DecodeError as exc:  # unreachable in practice: the frame was valid JSON
            return self._reject(frame.unique_id, errors.FormationViolation(str(exc)))
        return CallReceived(frame.unique_id, action, request)

    def _receive_answer(self, frame: frames.CallResult | frames.CallError) -> Inbound:
        outstanding = self._outstanding
        if outstanding is None or outstanding.unique_id != frame.unique_id:
            return Ignored(f"answer to unknown CALL {frame.unique_id!r}")
        self._outstanding = None
        if isinstance(frame, frames.CallError):
            return ErrorReceived(
                frame.unique_id, outstanding.action, frame.error_code, frame.error_description
            )
        try:
            response = outstanding.action.response_decoder.decode(frame.payload)
        except msgspec.DecodeError as exc:
            return ErrorReceived(
                frame.unique_id, outstanding.action, "InvalidResult", f"invalid response: {exc}"
            )
        return ResultReceived(frame.unique_id, outstanding.action, response)
