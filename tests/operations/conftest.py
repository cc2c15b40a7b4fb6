"""Fixtures for the operations tests: the pipeline's settings and its process launcher."""

from tests.pipeline.conftest import pipeline_settings, roster

__all__ = ["pipeline_settings", "roster"]
