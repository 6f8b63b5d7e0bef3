"""A local FullCalendar for ``rentcal serve --assets DIR``, at ``/assets/fullcalendar/...``.

For sites without internet: DIR is the npm package folder of ``fullcalendar``
(``npm install fullcalendar@6.1.21`` puts it in ``node_modules/fullcalendar``).
Only that one file is served — the bundle injects its own CSS — so nothing
else in DIR is ever exposed. Without ``--assets`` this path is 404 and pages
load the pinned file from the CDN with its Subresource Integrity hash.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse

from rentcal.web.pages.render import FULLCALENDAR_FILE, LOCAL_FULLCALENDAR_PATH, assets_dir

router = APIRouter()


@router.get(LOCAL_FULLCALENDAR_PATH, include_in_schema=False)
def fullcalendar_bundle(request: Request) -> FileResponse:
    """The bundle from ``--assets DIR`` (cacheable for a day; its ETag changes with it)."""
    folder = assets_dir(request)
    if folder is None:
        raise HTTPException(404)
    path = Path(folder) / FULLCALENDAR_FILE
    if not path.is_file():
        raise HTTPException(404)
    return FileResponse(
        path,
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


__all__ = ["router"]
