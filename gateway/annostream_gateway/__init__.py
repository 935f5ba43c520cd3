"""Gateway: HTTP + WebSocket API for browsers and scripts; serves the web UI."""
