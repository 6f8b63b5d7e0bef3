"""The optional packages of invoicing, imported on first use with a clear refusal.

``pip install 'rentcal[invoices]'`` brings them (factur-x with lxml, pypdf and
python-stdnum; fpdf2). Without them the rest of rentcal works, and whatever
needs them says which package is missing and how to install it, instead of
an ImportError's traceback.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from rentcal.errors import InvalidRequest

#: The distribution on PyPI that provides each module.
PACKAGES = {
    "facturx": "factur-x",
    "fpdf": "fpdf2",
    "pypdf": "pypdf",
    "stdnum": "python-stdnum",
}


def load(module: str, what: str) -> ModuleType:
    """``import module``, or an InvalidRequest (``reason="missing-extra"``) saying
    that ``what`` needs it and how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        package = PACKAGES.get(module.split(".")[0], module)
        raise InvalidRequest(
            f"{what} needs the package {package}, which is not installed "
            f"({err.name}): pip install 'rentcal[invoices]'",
            field="invoices",
            value=package,
            reason="missing-extra",
        ) from None


__all__ = ["PACKAGES", "load"]
