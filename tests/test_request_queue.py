"""The per-machine request policy: block (a pending request holds its days) or queue."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import rentcal
from rentcal import InvalidRequest, RequestPolicy, Unavailable
from rentcal.service.lifecycle import QUEUE_REASON
from tests.cli_support import ok_json
from tests.conftest import BOTH, SQLITE_ONLY, TODAY, d
from tests.test_locking import _overlaps
from tests.web_support import Web

pytestmark = BOTH

T = {"today": TODAY}


@pytest.fixture
def queue(seeded: rentcal.Rentcal) -> rentcal.Rentcal:
    """``seeded`` plus 'baler' (90.00/day, needs approval, request policy queue)."""
    seeded.add_machine("baler", daily_price="90", request_policy="queue", acting="ada")
    return seeded


class TestPolicySetting:
    """add_machine / machine add / POST /api/machines take the policy; block by default."""

    def test_default_block_and_shown(self, queue: rentcal.Rentcal, db_url: str) -> None:
        assert queue.machine("tractor").request_policy is RequestPolicy.BLOCK
        assert queue.machine("baler").request_policy is RequestPolicy.QUEUE
        data = ok_json(db_url, "machine", "show", "baler")
        assert (data["request_policy"], data["request_expiry_hours"]) == ("queue", None)
        listed = {m["name"]: m["request_policy"] for m in ok_json(db_url, "machine", "list")}
        assert listed == {"tractor": "block", "saw": "block", "baler": "queue"}

    def test_refused_values(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(InvalidRequest):
            seeded.add_machine("x", request_policy="fifo", acting="ada")
        with pytest.raises(InvalidRequest):
            seeded.add_machine("x", request_expiry_hours=0, acting="ada")

    def test_web(self, web: Web) -> None:
        answer = web.as_("ada").post(
            "/api/machines",
            json={"name": "baler", "request_policy": "queue", "request_expiry_hours": 48},
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["request_policy"] == "queue"
        assert web.cal.machine("baler").request_expiry_hours == 48


class TestBlock:
    """block: the second request for the same days is refused at once."""

    def test_pending_blocks(self, seeded: rentcal.Rentcal) -> None:
        seeded.book("tractor", d(10), d(12), member="bob", **T)
        with pytest.raises(Unavailable):
            seeded.book("tractor", d(11), d(11), member="dan", **T)


class TestQueue:
    """queue: overlapping requests wait; approving one rejects the overlapping others."""

    def test_overlapping_requests_coexist(self, queue: rentcal.Rentcal) -> None:
        a = queue.book("baler", d(10), d(12), member="bob", **T)
        b = queue.book("baler", d(11), d(13), member="dan", **T)
        assert (a.status, a.queued, b.status, b.queued) == ("pending", True, "pending", True)
        assert queue.check("baler", d(10), d(13), **T).available  # queued blocks nothing

    def test_approving_one_rejects_the_overlapping_others(self, queue: rentcal.Rentcal) -> None:
        a = queue.book("baler", d(10), d(12), member="bob", **T)
        b = queue.book("baler", d(11), d(13), member="dan", **T)
        c = queue.book("baler", d(20), d(21), member="dan", **T)
        approved = queue.approve(a.id, acting="ada", **T)
        assert (approved.status, approved.queued) == ("approved", False)
        lost = queue.rental(b.id)
        assert (lost.status, lost.reason, lost.status_changed_by) == (
            "rejected",
            QUEUE_REASON,
            "ada",
        )
        assert queue.history(b.id)[-1]["reason"] == QUEUE_REASON
        assert queue.notifications("dan")[-1].message == (
            f"Your booking of baler for Fri 11 – Sun 13 Jan 2030 was rejected (rental {b.id}). "
            f"Reason: {QUEUE_REASON}."
        )
        assert queue.rental(c.id).status == "pending"  # not overlapping: still waiting
        with pytest.raises(Unavailable) as info:  # approved days now block
            queue.book("baler", d(12), d(12), member="dan", **T)
        assert [x.id for x in info.value.conflicts] == [a.id]

    def test_maintenance_and_approved_still_block_requests(self, queue: rentcal.Rentcal) -> None:
        queue.add_maintenance("baler", d(15), d(15), acting="ada", **T)
        with pytest.raises(Unavailable):
            queue.book("baler", d(14), d(16), member="bob", **T)

    def test_guards_cover_exactly_what_blocks(self, queue: rentcal.Rentcal) -> None:
        """Raw SQL may store overlapping queued rows, never one overlapping approved days."""
        a = queue.book("baler", d(10), d(12), member="bob", **T)
        queue.book("baler", d(10), d(12), member="dan", **T)
        queue.approve(a.id, acting="ada", **T)
        engine = sa.create_engine(queue.store.url)
        insert = (
            "INSERT INTO rental (uid, machine_id, member_id, start_date, end_date, status, "
            "price, created_at, updated_at, sequence, queued) VALUES ('{uid}', 3, 2, "
            "'2030-01-11', '2030-01-11', 'pending', 0, '2030-01-09 12:00:00+00:00', "
            "'2030-01-09 12:00:00+00:00', 0, {queued})"
        )
        with engine.begin() as conn:
            conn.exec_driver_sql(insert.format(uid="q1", queued="true"))
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.exec_driver_sql(insert.format(uid="q2", queued="false"))
        engine.dispose()
        assert _overlaps(queue.store.url) >= 1  # the race tests' count includes queued rows
        from rentcal.db import integrity

        assert integrity.check(queue.store).ok

    @SQLITE_ONLY  # SQLite's plan
    def test_uses_the_partial_index(self, queue: rentcal.Rentcal) -> None:
        from rentcal.db.sql import CONFLICTS_STATEMENT

        engine = queue.store.engine
        compiled = CONFLICTS_STATEMENT.compile(dialect=engine.dialect)
        values = {**compiled.params, "m": 3, "s": "2030-01-10", "e": "2030-01-12"}
        args = tuple(values[k] for k in compiled.positiontup or ())
        with engine.connect() as conn:
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", args).all()
        assert any("ix_rental_blocking" in str(row) for row in plan), plan

    def test_moving_an_approved_rental_rejects_queued_ones_there(
        self, queue: rentcal.Rentcal
    ) -> None:
        waiting = queue.book("baler", d(20), d(21), member="dan", **T)
        mine = queue.book("tractor", d(10), d(11), member="bob", **T)
        queue.approve(mine.id, acting="ada", **T)
        moved = queue.move(mine.id, start=d(20), machine="baler", acting="ada", **T)
        assert (moved.machine, moved.queued) == ("baler", False)
        assert queue.rental(waiting.id).reason == QUEUE_REASON

    def test_a_pending_request_moved_takes_the_machines_policy(
        self, queue: rentcal.Rentcal
    ) -> None:
        r = queue.book("tractor", d(10), d(11), member="bob", **T)
        assert not r.queued
        assert queue.move(r.id, machine="baler", acting="bob", **T).queued
        assert not queue.move(r.id, machine="tractor", acting="bob", **T).queued

    def test_queued_requests_expire_too(self, queue: rentcal.Rentcal) -> None:
        r = queue.book("baler", d(10), d(10), member="bob", **T)
        assert queue.housekeeping(today=d(11)).expired == 1
        assert queue.rental(r.id).reason == "expired"


class TestImport:
    """Imported pending rows of a queue machine are queued requests, as booked ones are."""

    @staticmethod
    def rows(*lines: str) -> list[object]:
        from rentcal.imports import read_rentals_csv

        return list(read_rentals_csv(["machine,member,start,end,status", *lines]))

    def test_overlapping_pending_rows_queue(self, queue: rentcal.Rentcal) -> None:
        queue.book("baler", d(10), d(12), member="bob", **T)
        result = queue.import_rentals(
            self.rows(
                "baler,dan,2030-01-11,2030-01-13,pending",
                "baler,bob,2030-01-12,2030-01-12,pending",
                "baler,dan,2030-01-20,2030-01-21,approved",
            ),
            acting="ada",
            **T,
        )
        assert result.imported == 3
        stored = {(r.start.day, r.status.value): r.queued for r in queue.rentals(machine="baler")}
        assert stored == {
            (10, "pending"): True,
            (11, "pending"): True,
            (12, "pending"): True,
            (20, "approved"): False,
        }
        from rentcal.db import integrity

        assert integrity.check(queue.store).ok  # nothing that blocks overlaps

    def test_a_queued_row_never_shares_days_with_what_blocks(self, queue: rentcal.Rentcal) -> None:
        # the approved row comes after the pending one it overlaps: refused all the same
        with pytest.raises(rentcal.ImportFailed) as failed:
            queue.import_rentals(
                self.rows(
                    "baler,dan,2030-01-11,2030-01-13,pending",
                    "baler,bob,2030-01-12,2030-01-14,approved",
                ),
                acting="ada",
                **T,
            )
        assert [(p.line, p.message) for p in failed.value.problems] == [
            (2, "2030-01-11..2030-01-13 overlaps line 3")
        ]
        assert queue.rentals(machine="baler") == []

    def test_a_blocking_machine_still_refuses_overlapping_pending_rows(
        self, queue: rentcal.Rentcal
    ) -> None:
        result = queue.import_rentals(
            self.rows(
                "tractor,dan,2030-01-11,2030-01-13,pending",
                "tractor,bob,2030-01-12,2030-01-12,pending",
            ),
            acting="ada",
            skip_invalid=True,
            **T,
        )
        assert (result.imported, result.skipped) == (1, 1)
        assert [r.queued for r in queue.rentals(machine="tractor")] == [False]


def test_revision_0004_downgrades_and_upgrades_again(queue: rentcal.Rentcal) -> None:
    """Down to 0003: queued requests are rejected (they would overlap), guards as before."""
    from alembic import command

    from rentcal.db.migrations import runner

    queue.book("baler", d(10), d(12), member="bob", **T)
    queue.book("baler", d(10), d(12), member="dan", **T)
    engine = sa.create_engine(queue.store.url)
    with engine.begin() as conn:
        cfg = runner.config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003_accounts")
    with engine.connect() as conn:
        statuses = conn.exec_driver_sql("SELECT DISTINCT status FROM rental").scalars().all()
        columns = {c["name"] for c in sa.inspect(conn).get_columns("rental")}
    assert statuses == ["rejected"] and "queued" not in columns
    with engine.begin() as conn:
        cfg = runner.config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    engine.dispose()
    with rentcal.connect(queue.store.url) as again:
        assert again.machine("baler").request_policy is RequestPolicy.BLOCK  # the default
        assert again.book("baler", d(10), d(12), member="bob", **T).status == "pending"


class TestPolicyEdit:
    """edit_machine / machine edit / PATCH change the policy and the expiry, recorded."""

    def test_to_queue_queues_the_pending_requests(self, seeded: rentcal.Rentcal) -> None:
        held = seeded.book("tractor", d(10), d(12), member="bob", **T)
        with pytest.raises(Unavailable):
            seeded.book("tractor", d(11), d(11), member="dan", **T)
        edited = seeded.edit_machine("tractor", acting="ada", request_policy="queue")
        assert [(c.field, c.old, c.new) for c in edited.changes] == [
            ("request_policy", "block", "queue")
        ]
        assert seeded.rental(held.id).queued
        other = seeded.book("tractor", d(11), d(11), member="dan", **T)
        assert other.queued
        seeded.approve(other.id, acting="ada", **T)
        assert seeded.rental(held.id).status is rentcal.RentalStatus.REJECTED
        assert seeded.rental(held.id).reason == QUEUE_REASON

    def test_back_to_block_leaves_the_queue_waiting(self, queue: rentcal.Rentcal) -> None:
        first = queue.book("baler", d(10), d(12), member="bob", **T)
        second = queue.book("baler", d(11), d(13), member="dan", **T)
        queue.edit_machine("baler", acting="ada", request_policy="block")
        assert queue.rental(first.id).queued and queue.rental(second.id).queued
        new = queue.book("baler", d(20), d(21), member="bob", **T)
        assert not new.queued
        with pytest.raises(Unavailable):
            queue.book("baler", d(21), d(21), member="dan", **T)
        queue.approve(first.id, acting="ada", **T)
        assert queue.rental(second.id).status is rentcal.RentalStatus.REJECTED

    def test_expiry_set_and_cleared(self, seeded: rentcal.Rentcal) -> None:
        seeded.edit_machine("tractor", acting="ada", request_expiry_hours=48)
        assert seeded.machine("tractor").request_expiry_hours == 48
        seeded.edit_machine("tractor", acting="ada", request_expiry_hours=None)
        assert seeded.machine("tractor").request_expiry_hours is None
        fields = [(c.field, c.old, c.new) for c in seeded.machine_history("tractor")]
        assert fields == [
            ("request_expiry_hours", None, "48"),
            ("request_expiry_hours", "48", None),
        ]

    def test_cli_and_web(self, seeded: rentcal.Rentcal, db_url: str, web: Web) -> None:
        data = ok_json(
            db_url,
            "machine",
            "edit",
            "saw",
            "--request-policy",
            "queue",
            "--request-expiry",
            "2d",
        )
        assert (data["request_policy"], data["request_expiry_hours"]) == ("queue", 48)
        answer = web.as_("ada").patch(
            "/api/machines/tractor", json={"request_policy": "queue", "request_expiry_hours": 24}
        )
        assert answer.status_code == 200, answer.text
        assert [c["field"] for c in answer.json()["changed"]] == [
            "request_policy",
            "request_expiry_hours",
        ]
        bad = web.as_("ada").patch("/api/machines/tractor", json={"request_policy": "fifo"})
        assert bad.status_code in (400, 422), bad.text
