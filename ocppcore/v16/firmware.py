"""OCPP 1.6J Firmware Management profile (OCPP 1.6 sections 4.4, 4.5, 5.9, 5.19)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from ocppcore.v16.types import CiString255, DateTime, Payload

DiagnosticsStatus = Literal["Idle", "Uploaded", "UploadFailed", "Uploading"]
FirmwareStatus = Literal[
    "Downloaded",
    "DownloadFailed",
    "Downloading",
    "Idle",
    "InstallationFailed",
    "Installing",
    "Installed",
]
# The schemas give `format: uri`; any non-empty string is accepted and passed on to the charger.
AnyUri = Annotated[str, msgspec.Meta(min_length=1)]


class DiagnosticsStatusNotificationRequest(Payload):
    """Section 4.4: progress of a diagnostics upload."""

    status: DiagnosticsStatus


class DiagnosticsStatusNotificationResponse(Payload):
    pass


class FirmwareStatusNotificationRequest(Payload):
    """Section 4.5: progress of a firmware update."""

    status: FirmwareStatus


class FirmwareStatusNotificationResponse(Payload):
    pass


class GetDiagnosticsRequest(Payload):
    """Section 5.9: upload diagnostics to `location`."""

    location: AnyUri
    retries: int | None = None
    retry_interval: int | None = None
    start_time: DateTime | None = None
    stop_time: DateTime | None = None


class GetDiagnosticsResponse(Payload):
    file_name: CiString255 | None = None


class UpdateFirmwareRequest(Payload):
    """Section 5.19: download firmware from `location` after `retrieve_date`."""

    location: AnyUri
    retrieve_date: DateTime
    retries: int | None = None
    retry_interval: int | None = None


class UpdateFirmwareResponse(Payload):
    pass
