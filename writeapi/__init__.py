"""The FastAPI application that accepts commands and inbound HR webhooks."""
