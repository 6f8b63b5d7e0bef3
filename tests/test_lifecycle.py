"""The life-cycle rules: one table for rentals and maintenance, the same in the core
and through the service; retiring settles open requests; ``free`` offers only
bookable days; ``maintenance done``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

import rentcal
from rentcal import InvalidRequest, InvalidTransition, MaintenanceStatus, RentalStatus
from rentcal.core.transitions import (
    MAINTENANCE_RULES,
    RENTAL_RULES,
    Action,
    next_maintenance_status,
    next_status,
)
from rentcal.imports import BlockRow, ImportRow
from rentcal.service.lifecycle import RETIRED_REASON
from tests.cli_support import MAINTENANCE_KEYS, cli, failed, ok_json, snapshot
from tests.conftest import BOTH, PG_ONLY, TODAY, d

pytestmark = BOTH

T = {"today": TODAY}

# Where an item's days stand on TODAY (2030-01-09), one column each.
SPANS: dict[str, tuple[date, date]] = {
    "future": (d(12), d(14)),
    "starts-today": (d(9), d(11)),
    "under-way": (d(7), d(11)),
    "ends-today": (d(7), d(9)),
    "ended": (d(5), d(7)),
}
COLUMNS = list(SPANS)

P, A = RentalStatus.PENDING, RentalStatus.APPROVED
S = MaintenanceStatus.SCHEDULED
PAST = "is in the past (today is 2030-01-09)"
ENDED = "it ended on 2030-01-07"
EARLY = "it starts on 2030-01-12"

#: (status, action) -> outcome per column: the new status, or what the refusal says.
#: Written out in full: this is the rule, and docs/cli.md states the same.
RENTAL_TABLE: list[tuple[RentalStatus, Action, tuple[str, str, str, str, str]]] = [
    #                      future        starts-today  under-way     ends-today    ended
    (P, Action.APPROVE, ("approved", "approved", PAST, PAST, PAST)),
    (P, Action.REJECT, ("rejected", "rejected", "rejected", "rejected", "rejected")),
    (P, Action.CANCEL, ("cancelled", "cancelled", "cancelled", "cancelled", "cancelled")),
    (P, Action.COMPLETE, ("it is pending",) * 5),  # type: ignore[arg-type]
    (A, Action.APPROVE, ("it is approved",) * 5),  # type: ignore[arg-type]
    (A, Action.REJECT, ("rejected", "rejected", "rejected", "rejected", ENDED)),
    (A, Action.CANCEL, ("cancelled", "cancelled", "cancelled", "cancelled", ENDED)),
    (A, Action.COMPLETE, (EARLY, "completed", "completed", "completed", "completed")),
]
MAINTENANCE_TABLE: list[tuple[MaintenanceStatus, Action, tuple[str, str, str, str, str]]] = [
    #                      future        starts-today  under-way     ends-today    ended
    (S, Action.CANCEL, ("cancelled", "cancelled", "cancelled", "cancelled", ENDED)),
    (S, Action.COMPLETE, (EARLY, "done", "done", "done", "done")),
]
_STATUSES = {s.value for s in RentalStatus} | {s.value for s in MaintenanceStatus}


def _cells(table: list[Any]) -> list[Any]:
    return [
        pytest.param(status, action, column, outcome, id=f"{status}-{action}-{column}")
        for status, action, outcomes in table
        for column, outcome in zip(COLUMNS, outcomes, strict=True)
    ]


class TestTheTable:
    """The written-out table is the core's table, cell by cell."""

    def test_it_covers_every_allowed_pair(self) -> None:
        assert {(s, a) for s, a, _ in RENTAL_TABLE} >= set(RENTAL_RULES)
        assert {(s, a) for s, a, _ in MAINTENANCE_TABLE} == set(MAINTENANCE_RULES)

    @pytest.mark.parametrize(("status", "action", "column", "outcome"), _cells(RENTAL_TABLE))
    def test_rentals(self, status: RentalStatus, action: Action, column: str, outcome: str) -> None:
        start, end = SPANS[column]
        if outcome in _STATUSES:
            assert next_status(7, status, action, start=start, end=end, today=TODAY) == outcome
        else:
            with pytest.raises(InvalidTransition, match=re.escape(outcome)):
                next_status(7, status, action, start=start, end=end, today=TODAY)

    @pytest.mark.parametrize(("status", "action", "column", "outcome"), _cells(MAINTENANCE_TABLE))
    def test_maintenance(
        self, status: MaintenanceStatus, action: Action, column: str, outcome: str
    ) -> None:
        start, end = SPANS[column]
        if outcome in _STATUSES:
            found = next_maintenance_status(3, status, action, start=start, end=end, today=TODAY)
            assert found == outcome
        else:
            with pytest.raises(InvalidTransition, match=re.escape(outcome)):
                next_maintenance_status(3, status, action, start=start, end=end, today=TODAY)

    @pytest.mark.parametrize("status", [MaintenanceStatus.DONE, MaintenanceStatus.CANCELLED])
    @pytest.mark.parametrize("action", list(Action))
    def test_finished_maintenance_allows_nothing(
        self, status: MaintenanceStatus, action: Action
    ) -> None:
        with pytest.raises(InvalidTransition) as info:
            next_maintenance_status(3, status, action, start=d(12), end=d(14), today=TODAY)
        assert str(info.value).endswith(f": it is {status.value}")

    def test_messages_say_what_is_left(self) -> None:
        with pytest.raises(InvalidTransition) as info:
            next_status(2, A, Action.CANCEL, start=d(5), end=d(7), today=TODAY)
        assert str(info.value) == (
            "cannot cancel rental 2: it ended on 2030-01-07; "
            "once it has ended it can only be completed"
        )
        with pytest.raises(InvalidTransition) as info:
            next_maintenance_status(3, S, Action.CANCEL, start=d(5), end=d(7), today=TODAY)
        assert str(info.value).endswith("once it has ended it can only be marked done")
        with pytest.raises(InvalidTransition) as info:
            next_maintenance_status(3, S, Action.COMPLETE, start=d(12), end=d(14), today=TODAY)
        assert str(info.value) == "cannot mark maintenance 3 done: it starts on 2030-01-12"
        with pytest.raises(InvalidTransition) as info:
            next_status(4, P, Action.APPROVE, start=d(7), end=d(11), today=TODAY)
        assert str(info.value) == (
            "cannot approve rental 4: its first day 2030-01-07 is in the past "
            "(today is 2030-01-09), and past days cannot be booked"
        )


def _machines(cal: rentcal.Rentcal) -> None:
    """One machine per column, so the columns' rentals never overlap."""
    for column in COLUMNS:
        cal.add_machine(f"m-{column}", daily_price="10", acting="ada")


@pytest.mark.usefixtures("without_housekeeping")
class TestThroughTheService:
    """The same table, cell by cell, on stored rentals and blocks (both backends)."""

    @pytest.mark.parametrize(
        ("status", "action", "outcomes"),
        [pytest.param(s, a, o, id=f"{s}-{a}") for s, a, o in RENTAL_TABLE],
    )
    def test_rentals(
        self,
        seeded: rentcal.Rentcal,
        status: RentalStatus,
        action: Action,
        outcomes: tuple[str, ...],
    ) -> None:
        _machines(seeded)
        rows = [
            ImportRow(line, f"m-{column}", "bob", *SPANS[column], status, None)
            for line, column in enumerate(COLUMNS, start=2)
        ]
        seeded.import_rentals(rows, acting="ada", **T)
        for column, outcome in zip(COLUMNS, outcomes, strict=True):
            [rental] = seeded.rentals(machine=f"m-{column}")
            change = getattr(seeded, action.value)
            if outcome in _STATUSES:
                assert change(rental.id, acting="ada", **T).status == outcome
                assert seeded.history(rental.id)[-1]["to"] == outcome
            else:
                with pytest.raises(InvalidTransition, match=re.escape(outcome)):
                    change(rental.id, acting="ada", **T)
                assert seeded.rental(rental.id) == rental  # untouched

    @pytest.mark.parametrize(
        ("status", "action", "outcomes"),
        [pytest.param(s, a, o, id=f"{s}-{a}") for s, a, o in MAINTENANCE_TABLE],
    )
    def test_maintenance(
        self,
        seeded: rentcal.Rentcal,
        status: MaintenanceStatus,
        action: Action,
        outcomes: tuple[str, ...],
    ) -> None:
        _machines(seeded)
        for column in COLUMNS:
            seeded.import_maintenance(
                f"m-{column}", [BlockRow(1, *SPANS[column], column)], acting="ada"
            )
        change = {
            Action.CANCEL: seeded.cancel_maintenance,
            Action.COMPLETE: seeded.complete_maintenance,
        }[action]
        blocks = sorted(seeded.maintenance(), key=lambda m: COLUMNS.index(m.notes or ""))
        for block, outcome in zip(blocks, outcomes, strict=True):
            if outcome in _STATUSES:
                done = change(block.id, acting="ada", **T)
                assert (done.status, done.sequence) == (outcome, block.sequence + 1)
            else:
                with pytest.raises(InvalidTransition, match=re.escape(outcome)):
                    change(block.id, acting="ada", **T)
                assert seeded.maintenance(machine=block.machine) == [block]


class TestDoneMaintenance:
    """A done block no longer blocks: finished early, its remaining days are free."""

    def test_done_early_frees_the_rest(self, seeded: rentcal.Rentcal) -> None:
        seeded.import_maintenance("tractor", [BlockRow(1, d(7), d(12), "gearbox")], acting="ada")
        [block] = seeded.maintenance()
        assert not seeded.check("tractor", d(9), d(9), **T)
        assert seeded.complete_maintenance(block.id, acting="ada", **T).status == "done"
        assert seeded.check("tractor", d(9), d(12), **T)
        assert seeded.free_windows("tractor", d(9), d(12), **T) == [(d(9), d(12))]
        assert seeded.book("tractor", d(9), d(10), member="bob", **T).status == "pending"
        assert seeded.maintenance(status="done") == [seeded.maintenance()[0]]

    def test_admins_only(self, seeded: rentcal.Rentcal) -> None:
        block = seeded.add_maintenance("tractor", d(9), d(9), acting="ada", **T)
        with pytest.raises(rentcal.PermissionDenied, match="only admins can mark maintenance done"):
            seeded.complete_maintenance(block.id, acting="bob", **T)
        with pytest.raises(rentcal.NotFound, match="maintenance 99 not found"):
            seeded.complete_maintenance(99, acting="ada", **T)

    def test_completing_a_rental_early_frees_the_rest(self, seeded: rentcal.Rentcal) -> None:
        rental = seeded.book("saw", d(9), d(12), member="bob", **T)
        assert seeded.complete(rental.id, acting="ada", **T).status == "completed"
        assert seeded.check("saw", d(9), d(12), **T)


@pytest.mark.usefixtures("without_housekeeping")
class TestRetire:
    """Retiring a machine settles its open requests, with history and notifications."""

    def _rentals(self, cal: rentcal.Rentcal) -> dict[str, rentcal.Rental]:
        cal.import_rentals(
            [
                ImportRow(2, "tractor", "bob", d(1), d(2), P, "stale request"),
                ImportRow(3, "tractor", "dan", d(3), d(4), A, "ended, not completed"),
                ImportRow(4, "tractor", "bob", d(8), d(10), A, "under way"),
                ImportRow(5, "tractor", "dan", d(15), d(16), P, "future request"),
                ImportRow(6, "tractor", "bob", d(20), d(21), A, "future approved"),
                ImportRow(7, "tractor", "dan", d(5), d(6), RentalStatus.COMPLETED, "history"),
                ImportRow(8, "saw", "bob", d(15), d(16), P, "another machine"),
            ],
            acting="ada",
            **T,
        )
        return {r.purpose or "": r for r in cal.rentals()}

    def test_pending_rejected_approved_stand(self, seeded: rentcal.Rentcal) -> None:
        before = self._rentals(seeded)
        seen = {m: len(seeded.notifications(m)) for m in ("ada", "bob", "dan")}
        machine = seeded.retire_machine("tractor", acting="ada", **T)
        assert machine.status == "retired"
        after = {r.purpose: r for r in seeded.rentals()}
        assert {p: r.status.value for p, r in after.items()} == {
            "stale request": "rejected",
            "ended, not completed": "approved",  # history: left for an admin to complete
            "under way": "approved",
            "future request": "rejected",
            "future approved": "approved",
            "history": "completed",
            "another machine": "pending",
        }
        for purpose in ("stale request", "future request"):
            rental = after[purpose]
            assert (rental.reason, rental.status_changed_by) == (RETIRED_REASON, "ada")
            assert seeded.history(rental.id)[-1] | {"at": None} == {
                "from": "pending",
                "to": "rejected",
                "by": "ada",
                "reason": RETIRED_REASON,
                "at": None,
            }
        for purpose in ("under way", "future approved"):
            rental = after[purpose]
            assert rental == before[purpose]  # the row itself is unchanged
            last = seeded.history(rental.id)[-1]
            assert (last["from"], last["to"], last["by"]) == ("approved", "approved", "ada")
            assert last["reason"] == "machine retired; the rental stands"
        for purpose in ("ended, not completed", "history", "another machine"):
            assert len(seeded.history(after[purpose].id)) == 1  # only "imported"
        new = {m: seeded.notifications(m)[seen[m] :] for m in ("ada", "bob", "dan")}
        assert sorted(n.message for n in new["dan"]) == [
            "Your booking of Tractor 6120 for Tue 15 – Wed 16 Jan 2030 was rejected "
            f"(rental {after['future request'].id}). Reason: machine retired."
        ]
        assert sorted(n.rental_id for n in new["bob"]) == sorted(
            after[p].id for p in ("stale request", "under way", "future approved")
        )
        stands = [n.message for n in new["bob"] if "stands" in n.message]
        assert stands == [
            "Tractor 6120 was retired; your approved booking of it for Tue 8 – Thu 10 Jan 2030 "
            "stands, and an admin will tell you if it cannot go ahead "
            f"(rental {after['under way'].id}).",
            "Tractor 6120 was retired; your approved booking of it for Sun 20 – Mon 21 Jan 2030 "
            "stands, and an admin will tell you if it cannot go ahead "
            f"(rental {after['future approved'].id}).",
        ]
        assert [n.rental_id for n in new["ada"]] == [
            after["under way"].id,
            after["future approved"].id,
        ]
        assert "still to come: it stands unless an admin cancels it" in new["ada"][0].message

    def test_a_standing_rental_can_still_be_cancelled(self, seeded: rentcal.Rentcal) -> None:
        rental = seeded.book("tractor", d(20), d(21), member="bob", **T)
        seeded.approve(rental.id, acting="ada", **T)
        seeded.retire_machine("tractor", acting="ada", **T)
        assert seeded.cancel(rental.id, acting="ada", reason="retired", **T).status == "cancelled"

    def test_nothing_changes_when_refused(self, seeded: rentcal.Rentcal) -> None:
        self._rentals(seeded)
        before = snapshot(seeded)
        with pytest.raises(rentcal.PermissionDenied):
            seeded.retire_machine("tractor", acting="bob", **T)
        assert snapshot(seeded) == before
        seeded.retire_machine("tractor", acting="ada", **T)
        settled = snapshot(seeded)
        with pytest.raises(InvalidRequest, match="already retired"):
            seeded.retire_machine("tractor", acting="ada", **T)
        assert snapshot(seeded) == settled

    def test_retired_machines_offer_no_days(self, seeded: rentcal.Rentcal) -> None:
        seeded.retire_machine("saw", acting="ada", **T)
        with pytest.raises(InvalidRequest, match="machine 'saw' is retired") as info:
            seeded.free_windows("saw", d(9), d(20), **T)
        assert (info.value.field, info.value.reason) == ("machine", "retired")


BOOK = ("book", "tractor", "+1d", "--days", "2")


@PG_ONLY
def test_a_booking_waiting_for_the_lock_sees_the_retirement(db_url: str) -> None:
    """PostgreSQL: a booker that read the machine as active before a retirement
    committed re-reads it under the lock, so no request lands on a retired machine."""
    # (SQLite writers start with BEGIN IMMEDIATE: nothing is read before the lock.)
    with rentcal.connect(db_url) as cal:
        cal.add_member("ada", admin=True)
        cal.add_machine("tractor", daily_price="10", acting="ada")
    engine = sa.create_engine(db_url)
    env = {**os.environ, "RENTCAL_TODAY": TODAY.isoformat(), "NO_COLOR": "1"}
    try:
        with engine.connect() as holder:
            holder.execute(sa.text("SELECT id FROM machine WHERE name = 'tractor' FOR UPDATE"))
            holder.execute(sa.text("UPDATE machine SET status = 'retired'"))
            booker = subprocess.Popen(
                [sys.executable, "-m", "rentcal", "--db", db_url, "--as", "ada", *BOOK],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            _wait_until_blocked(engine, booker)
            holder.commit()
        out, err = booker.communicate(timeout=60)
    finally:
        engine.dispose()
    assert booker.returncode == 2, (out, err)
    assert "Error: machine 'tractor' is retired and cannot be booked" in err
    with rentcal.connect(db_url) as cal:
        assert cal.rentals() == []


def _wait_until_blocked(engine: sa.Engine, process: subprocess.Popen[str]) -> None:
    """Until another backend waits for a lock (the booker, behind the holder)."""
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND datname = current_database()"
    )
    deadline = time.monotonic() + 60
    with engine.connect() as probe:
        while probe.execute(query).scalar_one() == 0:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the booker never reached the lock"
            time.sleep(0.05)
            probe.rollback()


class TestFree:
    """free / free_windows offer only days that can be booked."""

    def test_past_days_are_clipped(self, seeded: rentcal.Rentcal) -> None:
        seeded.book("tractor", d(10), d(12), member="bob", **T)
        assert seeded.free_windows("tractor", d(1), d(15), **T) == [(d(9), d(9)), (d(13), d(15))]

    def test_a_window_in_the_past_is_refused(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(InvalidRequest) as info:
            seeded.free_windows("tractor", d(1), d(8), **T)
        assert str(info.value) == (
            "no day from 2030-01-01 to 2030-01-08 can be booked: "
            "the end date is before today (2030-01-09)"
        )
        assert (info.value.field, info.value.reason) == ("end", "past")

    def test_cli_clips_and_refuses(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        data = ok_json(db_url, "free", "tractor", "--from", "2030-01-01", "--to", "2030-01-20")
        assert data == [{"start": "2030-01-09", "end": "2030-01-20", "days": 12}]
        failed(
            cli(db_url, "free", "tractor", "--from", "2029-01-01", "--to", "2029-02-01"),
            2,
            "can be booked",
        )
        seeded.retire_machine("tractor", acting="ada", **T)
        failed(cli(db_url, "free", "tractor"), 2, "machine 'tractor' is retired")


class TestCli:
    """rentcal maintenance done, and the rules' refusals as exit 2."""

    def test_done(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        block = seeded.add_maintenance("tractor", d(9), d(10), acting="ada", **T)
        result = cli(db_url, "maintenance", "done", str(block.id))
        assert result.exit_code == 0, result.stderr
        assert result.stdout.startswith(f"Maintenance {block.id} done.\n")
        assert seeded.maintenance()[0].status == "done"
        failed(cli(db_url, "maintenance", "done", str(block.id)), 2, "it is done")

    def test_done_json_and_refusals(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        now = seeded.add_maintenance("tractor", d(9), d(9), acting="ada", **T)
        later = seeded.add_maintenance("saw", d(20), d(20), acting="ada", **T)
        data = ok_json(db_url, "maintenance", "done", str(now.id))
        assert set(data) == MAINTENANCE_KEYS and data["status"] == "done"
        before = snapshot(seeded)
        failed(
            cli(db_url, "maintenance", "done", str(later.id)),
            2,
            f"Error: cannot mark maintenance {later.id} done: it starts on 2030-01-20",
        )
        failed(cli(db_url, "maintenance", "done", str(later.id), as_="bob"), 3, "only admins")
        failed(cli(db_url, "maintenance", "done", "99"), 2, "maintenance 99 not found")
        assert snapshot(seeded) == before

    @pytest.mark.usefixtures("without_housekeeping")
    def test_ended_rules_through_the_cli(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        seeded.import_maintenance("saw", [BlockRow(1, d(5), d(6), None)], acting="ada")
        seeded.import_rentals(
            [
                ImportRow(2, "tractor", "bob", d(5), d(6), A, None),
                ImportRow(3, "tractor", "bob", d(7), d(7), P, None),
            ],
            acting="ada",
            **T,
        )
        approved, pending = seeded.rentals()
        [block] = seeded.maintenance()
        for command in ("cancel", "reject"):
            failed(cli(db_url, command, str(approved.id)), 2, "it ended on 2030-01-06")
        failed(cli(db_url, "approve", str(pending.id)), 2, "2030-01-07 is in the past")
        failed(cli(db_url, "maintenance", "cancel", str(block.id)), 2, "it ended on 2030-01-06")
        assert (
            json.loads(cli(db_url, "reject", str(pending.id), "--json").stdout)["status"]
            == "rejected"
        )
        assert ok_json(db_url, "complete", str(approved.id))["status"] == "completed"
        assert ok_json(db_url, "maintenance", "done", str(block.id))["status"] == "done"
