"""Tasks service: annotation tasks (create, list, info, complete, delete)."""
