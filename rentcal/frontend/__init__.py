"""What both front ends (the ``rentcal`` CLI and ``rentcal serve``) share, below both.

The CLI and the web may not import each other (import-linter's layers), so a
rule they both apply lives here, once: the one booking path
(:mod:`~rentcal.frontend.booking`), the base URL rule
(:mod:`~rentcal.frontend.base_url`) and the month arithmetic of the two
month grids (:mod:`~rentcal.frontend.month`). Modules here use the service's
public API only, import neither front end nor the web stack (FastAPI,
Starlette, prometheus-client ...), and this package itself imports nothing,
so ``rentcal --help`` stays lean.
"""
