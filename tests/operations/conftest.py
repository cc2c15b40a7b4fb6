"""Fixtures for the operations tests: the pipeline's settings, service and process launcher."""

from tests.pipeline.conftest import pipeline_service, pipeline_settings, roster

__all__ = ["pipeline_service", "pipeline_settings", "roster"]
