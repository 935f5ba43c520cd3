"""annostream webhooks service: signed CloudEvents to the HTTP endpoints teams register."""
