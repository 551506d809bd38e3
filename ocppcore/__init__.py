"""ocppcore: an OCPP 1.6J central system on Trio with an embedded LMDB event store."""

__version__ = "0.1.0"
