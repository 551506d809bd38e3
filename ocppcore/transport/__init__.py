"""The only ocppcore code that does network I/O: the WebSocket layer (`websocket`: trio
streams, h11 for the upgrade, `rfc6455` for the protocol without I/O) and the OCPP-J listener
on it (`server`)."""
