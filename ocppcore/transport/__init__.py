"""The only ocppcore code that does network I/O: the WebSocket layer (trio streams, wsproto) and
the OCPP-J listener on it."""
