"""The only ocppcore code that does network I/O (trio, trio-websocket)."""
