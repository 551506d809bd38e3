"""OCPP 1.6J Local Auth List Management profile (OCPP 1.6 sections 5.10 and 5.15)."""

from __future__ import annotations

from typing import Literal

from ocppcore.v16.types import IdTagInfo, IdToken, Payload

UpdateType = Literal["Differential", "Full"]
UpdateStatus = Literal["Accepted", "Failed", "NotSupported", "VersionMismatch"]


class GetLocalListVersionRequest(Payload):
    """Section 5.10."""


class GetLocalListVersionResponse(Payload):
    list_version: int


class AuthorizationData(Payload):
    """Section 7.2: one entry of a local authorization list."""

    id_tag: IdToken
    id_tag_info: IdTagInfo | None = None


class SendLocalListRequest(Payload):
    """Section 5.15."""

    list_version: int
    update_type: UpdateType
    local_authorization_list: list[AuthorizationData] | None = None


class SendLocalListResponse(Payload):
    status: UpdateStatus
