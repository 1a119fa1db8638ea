"""Fan pages (``/h5/``): the mobile shell. Domains add their pages under this prefix; a fan
arrives through a signed, expiring link bound to one customer."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from siyu.kit.templating import render

router = APIRouter(prefix="/h5", include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def landing(request: Request) -> Response:
    """Opened without a personal link: explain how to get one."""
    return render(request, "h5/landing.html")
