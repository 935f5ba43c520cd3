"""The `annostream` command line: up, serve, smoke, admin."""
