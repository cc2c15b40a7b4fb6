"""The relay (event store to Kafka) and the runners that feed events to the projections."""
