"""The baseline web app: one FastAPI endpoint answering a constant, served like the read API."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.responses import Response

app = FastAPI()


@app.get("/constant")
def constant() -> Response:
    """The same small JSON every time."""
    return Response(b'{"ok":true}', media_type="application/json")
