"""The embedded event store: an append-only LMDB log, views kept in the same transaction, and
the group-commit writer. Knows nothing of OCPP or HTTP."""
