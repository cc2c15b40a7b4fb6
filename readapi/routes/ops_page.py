"""The operations page (`/ops`): plain HTML and a little JavaScript that read `/v1/ops/*` with
an operator's token, served from the package with a policy that allows only its own files."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from starlette.responses import Response

router = APIRouter(include_in_schema=False)

STATIC = Path(__file__).resolve().parents[1] / "static"
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
          "img-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'")
"""The page's own files and fetches to this origin; no inline code, no other origin."""

_FILES = {"ops.html": "text/html; charset=utf-8", "ops.js": "text/javascript; charset=utf-8",
          "ops.css": "text/css; charset=utf-8"}
_LOADED = {name: (STATIC / name).read_bytes() for name in _FILES}


def _file(name: str) -> Response:
    return Response(_LOADED[name], media_type=_FILES[name],
                    headers={"Content-Security-Policy": POLICY})


@router.get("/ops")
async def page() -> Response:
    """The page; it asks for the token, then shows projections, rebuilds, dead letters and
    running exports, refreshed every few seconds (`?refresh=SECONDS`)."""
    return _file("ops.html")


@router.get("/ops/ops.js")
async def script() -> Response:
    """The page's script."""
    return _file("ops.js")


@router.get("/ops/ops.css")
async def style() -> Response:
    """The page's style."""
    return _file("ops.css")
