"""What both front ends (the ``rentcal`` CLI and ``rentcal serve``) share, below both.

The CLI and the web may not import each other (import-linter's layers), so a
rule they both apply lives here, once:

============  ================================================================
``booking``   THE booking path (CLI, API, form) and its metric outcomes; who
              may book, which machine can be booked
``base_url``  the server's public URL: ``serve`` and ``feed create``
``month``     month arithmetic and the weeks of both month grids
``schedule``  machines x days of a month, bookings as bars (``calendar``, ``/schedule``)
``iso_day``   exactly ``YYYY-MM-DD`` (JSON bodies, forms, ``$RENTCAL_TODAY``)
============  ================================================================

Modules here use the service's public API only, import neither front end nor the web stack (FastAPI,
Starlette, prometheus-client ...), and this package itself imports nothing,
so ``rentcal --help`` stays lean.
"""
