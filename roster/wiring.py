"""The one place each entry point is wired from the settings."""

from __future__ import annotations

from fastapi import FastAPI

from commands.service import AgentService
from roster import logs
from roster.settings import Settings
from writeapi.app import create_app
from writeapi.config import WriteApiConfig


def agent_service(settings: Settings) -> AgentService:
    """The application service on the event store the settings choose."""
    return AgentService(settings.event_store_env(), settings.index_key)


def write_api_from_env() -> FastAPI:
    """The write API from the environment's settings, with JSON logs: uvicorn's factory."""
    settings = Settings()
    logs.configure(settings.log_level)
    return write_api(settings)


def write_api(settings: Settings, service: AgentService | None = None) -> FastAPI:
    """The write API over `service` (built from the settings when not given)."""
    config = WriteApiConfig(
        jwt_secret=settings.jwt_secret.get_secret_value(),
        hrms_secret=settings.hrms_secret.get_secret_value(),
        hrms_tolerance_seconds=settings.hrms_tolerance_seconds,
        max_body_bytes=settings.max_body_bytes,
    )
    return create_app(service or agent_service(settings), config)
