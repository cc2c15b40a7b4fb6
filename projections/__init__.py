"""Read models: how events change each one, its schema and its store."""
