"""The web benchmark's databases, built once per size and day and kept in a cache.

The data is relative to today (history up to yesterday, bookings ahead), so a
cache entry is keyed by the UTC date and the number of rentals:
``CACHE/<date>-<rentals>-<source>/`` holds the SQLite files and ``meta.json``
(what was built, and the token and feed URL the runs use); PostgreSQL holds
``rcbench_ref_<rentals>_<date>`` (the reference's) and
``rcbench_rc_<rentals>_<date>_<source>`` (rentcal's). A step is recorded in
meta.json only when it has finished, so an interrupted build is redone, and a
rerun on the same day measures at once. Older days of the same size are dropped.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks import dataset
from benchmarks.servers import Postgres, rebuild_reference, reference_env

#: The version of meta.json's contents; an entry of another version is rebuilt.
FORMAT = 2


@dataclass
class Side:
    """One backend's pair of databases, ready to serve."""

    rentcal_url: str
    reference_env: dict[str, str] | None  # None: measured without the reference
    loaded: dataset.Loaded
    machines: list[tuple[int, str]]  # reference id, rentcal handle
    built: str  # how long building took, or "cached"


class Cache:
    """One cache entry (a directory and its meta.json)."""

    def __init__(self, root: Path, today: date, rentals: int, reference: Path | None) -> None:
        self.today, self.rentals, self.reference = today, rentals, reference
        self.source = "reference" if reference else "generated"
        self.dir = root / f"{today.isoformat()}-{rentals}-{self.source}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.meta_path = self.dir / "meta.json"
        self.meta: dict[str, Any] = (
            json.loads(self.meta_path.read_text()) if self.meta_path.exists() else {}
        )
        if self.meta.get("format") != FORMAT:  # built by another version: build again
            self.meta = {"format": FORMAT}
        self._data: dataset.Dataset | None = None
        day = today.strftime("%Y%m%d")
        self.ref_pg = f"rcbench_ref_{rentals}_{day}"
        self.rc_pg = f"rcbench_rc_{rentals}_{day}_{self.source}"

    def save(self, key: str, value: Any) -> None:
        self.meta[key] = value
        self.meta_path.write_text(json.dumps(self.meta, indent=1, default=str))

    def generated(self) -> dataset.Dataset:
        """The data made here (without the reference), once per run."""
        if self._data is None:
            self._data = dataset.generate(self.rentals, self.today)
        return self._data

    def _ref_env(self, db: str) -> dict[str, str]:
        return reference_env(db, self.dir / "reference.sqlite3", self.ref_pg)

    def _side(self, key: str, url: str, env: dict[str, str] | None, built: str) -> Side:
        info = dict(self.meta[key])
        machines = [(int(i), str(h)) for i, h in info.pop("handles")]
        return Side(url, env, dataset.Loaded(**info), machines, built)

    def _record(self, key: str, loaded: dataset.Loaded, data: dataset.Dataset) -> None:
        self.save(key, {**asdict(loaded), "handles": [(i, h) for i, h, _, _ in data.machines]})

    def sqlite(self) -> Side:
        """The SQLite pair: the reference's file (its rebuild.sh) and rentcal's."""
        db = self.dir / "rentcal.sqlite3"
        url = f"sqlite:///{db}"
        env = self._ref_env("sqlite") if self.reference else None
        built = []
        if self.reference and not self.meta.get("reference_sqlite"):
            log = self.dir / "build.log"
            _say(f"seed_data into {env and env['SQLITE_PATH']} (log: {log}) ...")
            rebuild_reference(self.reference, env or {}, self.rentals, log)
            self.save("reference_sqlite", True)
            self.save("rentcal_sqlite", None)  # rentcal's copy follows the reference's data
            built.append("reference seeded")
        if not self.meta.get("rentcal_sqlite"):
            for leftover in self.dir.glob("rentcal.sqlite3*"):
                leftover.unlink()
            data = (
                dataset.read_reference_sqlite(str(self.dir / "reference.sqlite3"), self.today)
                if self.reference
                else self.generated()
            )
            _say(f"importing {len(data.rentals):,} rentals into {db} ...")
            loaded = dataset.load(data, url)
            self._record("rentcal_sqlite", loaded, data)
            built.append(f"rentcal import {loaded.seconds:.0f} s")
        return self._side("rentcal_sqlite", url, env, ", ".join(built) or "cached")

    def postgres(self, pg: Postgres) -> Side:
        """The PostgreSQL pair: ``seed_data`` into rcbench_ref_*, rentcal's rcbench_rc_*."""
        env = self._ref_env("pg") if self.reference else None
        built = []
        pg.drop_older(f"rcbench_ref_{self.rentals}_", {self.ref_pg})
        pg.drop_older(f"rcbench_rc_{self.rentals}_", {self.rc_pg})
        if self.reference and not (self.meta.get("reference_pg") and pg.exists(self.ref_pg)):
            log = self.dir / "build.log"
            _say(f"seed_data into PostgreSQL {self.ref_pg} (log: {log}) ...")
            rebuild_reference(self.reference, env or {}, self.rentals, log)
            self.save("reference_pg", True)
            self.save("rentcal_pg", None)
            built.append("reference seeded")
        if not (self.meta.get("rentcal_pg") and pg.exists(self.rc_pg)):
            pg.recreate(self.rc_pg)
            data = (
                dataset.read_reference_postgres(pg.conninfo(self.ref_pg), self.today)
                if self.reference
                else self.generated()
            )
            _say(f"importing {len(data.rentals):,} rentals into PostgreSQL {self.rc_pg} ...")
            loaded = dataset.load(data, pg.sqlalchemy(self.rc_pg))
            pg.vacuum_analyze(self.rc_pg)
            self._record("rentcal_pg", loaded, data)
            built.append(f"rentcal import {loaded.seconds:.0f} s")
        url = pg.sqlalchemy(self.rc_pg)
        return self._side("rentcal_pg", url, env, ", ".join(built) or "cached")


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


__all__ = ["Cache", "Side"]
