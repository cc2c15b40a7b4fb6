"""Command models and the application service that runs them against the event store."""
