"""Every public method refuses a wrong argument, naming the parameter: ONE table.

:data:`TABLE` has a row for every parameter of every public ``Rentcal`` method
(and of ``rentcal.connect``): the parameter, the kind of bad values it gets
and the exception expected. A test introspects ``Rentcal`` and fails when a
method or a parameter has no row, so new API must be added here. Each bad
value is refused with the expected exception *class* (``ArgumentTypeError``
for a wrong type — also a ``TypeError`` — or ``InvalidRequest`` for a
nonsense value of the right type), a message and a ``field`` naming the
parameter, and nothing written; on SQLite and PostgreSQL alike. Never an
``AttributeError``, a SQLAlchemy or psycopg error, or a silent answer.
"""

from __future__ import annotations

import inspect
import itertools
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import sqlalchemy as sa

import rentcal
from rentcal import ArgumentTypeError, InvalidRequest, MaintenanceStatus, RentalStatus
from rentcal.core.online_payments import Purpose
from rentcal.core.values import Problem
from rentcal.imports import BlockRow, ImportRow
from rentcal.service import Rentcal
from rentcal.service.online_payments import CheckoutEvent, CheckoutRequest
from tests.cli_support import every_table
from tests.conftest import BOTH, BUSY_TIMEOUT, TODAY, d, make_clock, seed

WRONG = ArgumentTypeError
BAD = InvalidRequest
#: The day invoices for January 2030 are issued on.
FEB = date(2030, 2, 1)

#: A past, completed rental row and a maintenance block, as rentcal.imports reads them.
GOOD_ROW = ImportRow(
    2, "tractor", "bob", d(1, 6, 2029), d(2, 6, 2029), RentalStatus.COMPLETED, None
)
GOOD_BLOCK = BlockRow(1, d(1, 6), d(2, 6), "holiday")

# -- bad values by kind of parameter: (id, value, expected exception class) ---------------

FLAG = [
    ("str-no", "no", WRONG),
    ("str-false", "False", WRONG),
    ("int", 1, WRONG),
    ("none", None, WRONG),
]
DAY = [
    ("int", 20300110, WRONG),
    ("str", "2030-01-10", WRONG),
    ("datetime", datetime(2030, 1, 10, 9), WRONG),
]
OPTIONAL_DAY = DAY  # None is fine: "no filter"
HANDLE = [("int", 5, WRONG), ("bytes", b"tractor", WRONG), ("none", None, WRONG)]
OPTIONAL_HANDLE = [("int", 5, WRONG), ("bytes", b"tractor", WRONG), ("list", ["bob"], WRONG)]
TEXT = [("int", 5, WRONG), ("bytes", b"text", WRONG)]
SECRET = [("int", 5, WRONG), ("bytes", b"secret", WRONG), ("none", None, WRONG)]
SIGNUP_MODE = [("int", 5, WRONG), ("none", None, WRONG), ("unknown", "sometimes", BAD)]
#: A required e-mail address.
ADDRESS = [
    ("int", 5, WRONG),
    ("bytes", b"eve@example.org", WRONG),
    ("none", None, BAD),
    ("no-at", "eve.example.org", BAD),
]
RECORD_ID = [
    ("str", "1", WRONG),
    ("bool", True, WRONG),
    ("float", 1.0, WRONG),
    ("zero", 0, BAD),
    ("too-big", 2**31, BAD),
]
COUNT = [("str", "2", WRONG), ("bool", True, WRONG), ("float", 2.0, WRONG), ("zero", 0, BAD)]
RENTAL_STATUS = [
    ("int", 5, WRONG),
    ("other-enum", MaintenanceStatus.SCHEDULED, WRONG),
    ("list-of-int", [5], WRONG),
    ("dict", {"pending": True}, WRONG),
    ("unknown", "lost", BAD),
]
MAINTENANCE_STATUS = [
    ("int", 5, WRONG),
    ("other-enum", RentalStatus.CANCELLED, WRONG),  # "cancelled" exists in both enums
    ("unknown", "lost", BAD),
]
ROLE = [("int", 5, WRONG), ("other-enum", RentalStatus.PENDING, WRONG), ("unknown", "boss", BAD)]
KIND = [("int", 5, WRONG), ("other-enum", RentalStatus.PENDING, WRONG), ("unknown", "oil", BAD)]
PRICE = [
    ("list", [1], WRONG),
    ("bool", True, WRONG),
    ("float", 1.5, WRONG),
    ("none", None, WRONG),
    ("negative", "-1", BAD),
]
#: A unit price or a minimum charge: money or None (none).
OPTIONAL_PRICE = [v for v in PRICE if v[0] != "none"]
FEE = [("list", [1], WRONG), ("bool", True, WRONG), ("float", 1.5, WRONG), ("negative", "-1", BAD)]
FREE_DAYS = [
    ("str", "7", WRONG),
    ("bool", True, WRONG),
    ("float", 7.0, WRONG),
    ("zero", 0, BAD),
    ("too-big", 366, BAD),
]
PERIOD = [
    ("int", 203001, WRONG),
    ("bytes", b"2030-01", WRONG),
    ("none", None, WRONG),
    ("month-13", "2030-13", BAD),
    ("date", "2030-01-09", BAD),
]
RENTAL_ROWS = [
    ("int", 5, WRONG),
    ("str", "machine,member,start,end\n", WRONG),
    ("dict-row", [{"machine": "tractor", "member": "bob"}], WRONG),
    ("tuple-row", [("tractor", "bob", d(1, 6, 2029), d(2, 6, 2029))], WRONG),
    ("block-row", [GOOD_BLOCK], WRONG),
    (
        "str-date",
        [ImportRow(2, "tractor", "bob", "2029-06-01", d(2, 6, 2029), RentalStatus.COMPLETED, None)],
        WRONG,
    ),  # type: ignore[arg-type]
    (
        "str-status",
        [ImportRow(2, "tractor", "bob", d(1, 6, 2029), d(2, 6, 2029), "completed", None)],
        WRONG,
    ),  # type: ignore[arg-type]
    (
        "int-machine",
        [ImportRow(2, 5, "bob", d(1, 6, 2029), d(2, 6, 2029), RentalStatus.COMPLETED, None)],
        WRONG,
    ),  # type: ignore[arg-type]
    ("bad-problem", [Problem("2", "oops")], WRONG),  # type: ignore[arg-type]
    (
        "end-before-start",
        [
            ImportRow(
                2, "tractor", "bob", d(2, 6, 2029), d(1, 6, 2029), RentalStatus.COMPLETED, None
            )
        ],
        BAD,
    ),
]
BLOCK_ROWS = [
    ("int", 5, WRONG),
    ("dict-row", [{"start": d(1, 6), "end": d(2, 6)}], WRONG),
    ("import-row", [GOOD_ROW], WRONG),
    ("str-date", [BlockRow(1, "2030-06-01", d(2, 6), None)], WRONG),  # type: ignore[arg-type]
    ("datetime", [BlockRow(1, datetime(2030, 6, 1, 9), d(2, 6), None)], WRONG),
    ("end-before-start", [BlockRow(1, d(2, 6), d(1, 6), None)], BAD),
]
REQUESTS = [
    ("int", 5, WRONG),
    ("str", "tractor 2030-01-20 2030-01-21", WRONG),
    ("dict-request", [{"machine": "tractor", "start": d(20), "end": d(21)}], WRONG),
    ("str-dates", [("tractor", "2030-01-20", "2030-01-21")], WRONG),
    ("two-items", [("tractor", d(20))], WRONG),
]
CALLBACK = [("int", 5, WRONG), ("str", "print", WRONG)]
CLIENT = [
    ("int", 5, WRONG),
    ("bytes", b"203.0.113.5", WRONG),
    ("empty", "", BAD),
    ("too-long", "1" * 101, BAD),
    ("newline", "203.0.113.5\nforged", BAD),
]
LIMIT_DAYS = [
    ("str", "60", WRONG),
    ("bool", True, WRONG),
    ("float", 60.0, WRONG),
    ("zero", 0, BAD),
    ("negative", -1, BAD),
    ("too-big", 36_501, BAD),
]
REMINDER_HOUR = [
    ("str", "8", WRONG),
    ("bool", True, WRONG),
    ("float", 8.0, WRONG),
    ("negative", -1, BAD),
    ("too-big", 24, BAD),
]
CURRENCY = [
    ("int", 978, WRONG),
    ("bytes", b"EUR", WRONG),
    ("unknown", "EURO", BAD),
    ("made-up", "XYZ", BAD),
]
URL = [("int", 5, WRONG), ("bytes", b"sqlite://", WRONG)]
#: A meter reading: a Decimal, an int or a string, 0 or more, two places at most.
METER = [
    ("float", 12.5, WRONG),
    ("bool", True, WRONG),
    ("list", ["12"], WRONG),
    ("negative", "-1", BAD),
    ("three-places", "12.345", BAD),
    ("words", "twelve", BAD),
]
METER_UNIT = [
    ("int", 5, WRONG),
    ("bytes", b"hours", WRONG),
    ("blank", "  ", BAD),
    ("two-words", "engine hours", BAD),
    ("too-long", "h" * 17, BAD),
]
CONDITION = [
    ("int", 5, WRONG),
    ("other-enum", RentalStatus.PENDING, WRONG),
    ("unknown", "broken", BAD),
]
NO_SHOW_HOURS = [
    ("str", "24", WRONG),
    ("bool", True, WRONG),
    ("float", 24.0, WRONG),
    ("zero", 0, BAD),
    ("too-big", 24 * 366 + 1, BAD),
]
SENDER = [("int", 5, WRONG), ("str", "smtp://127.0.0.1:25", WRONG), ("none", None, WRONG)]


class AcceptingSender:
    """A mail sender that takes every message (no network: the API table is about arguments)."""

    def send(self, mail: object, now: datetime) -> str:
        return "250 2.0.0 Ok"


ZONE = [
    ("int", 1, WRONG),
    ("zoneinfo", __import__("zoneinfo").ZoneInfo("UTC"), WRONG),
    ("unknown", "Mars/Olympus_Mons", BAD),
    ("empty", "", BAD),
    ("offset", "+01:00", BAD),
]
SECONDS = [
    ("str", "10", WRONG),
    ("bool", True, WRONG),
    ("negative", -1, BAD),
    ("nan", float("nan"), BAD),
    ("zero", 0, BAD),  # PostgreSQL would read lock_timeout 0 as "wait forever"
    ("huge", 1e308, BAD),  # used to overflow converting to milliseconds
]

MINUTE = [
    ("str", "2030-01-09T12:00Z", WRONG),
    ("date", d(9), WRONG),
    ("naive", datetime(2030, 1, 9, 12, 0), BAD),
]
MAIL_CHOICES = [
    ("list", ["approved"], WRONG),
    ("int-kind", {5: "email"}, WRONG),
    ("none-choice", {"approved": None}, WRONG),
    ("unknown-kind", {"password-reset": "in-app"}, BAD),
    ("unknown-choice", {"approved": "never"}, BAD),
    ("digest-not-requests", {"approved": "digest"}, BAD),
]
COUNTS = [
    ("list", [("requests", 1)], WRONG),
    ("str-count", {"requests": "1"}, WRONG),
    ("bool-count", {"requests": True}, WRONG),
    ("int-name", {5: 1}, WRONG),
    ("negative", {"requests": -1}, BAD),
    ("bad-name", {"Requests Total": 1}, BAD),
    ("too-many", {f"n{i}": 1 for i in range(201)}, BAD),
]

#: (method, parameter, bad values): THE table.
TABLE: list[tuple[str, str, list[tuple[str, Any, type[Exception]]]]] = [
    ("connect", "url", URL),
    ("connect", "busy_timeout", SECONDS),
    ("connect", "clock", CALLBACK),
    ("connect", "create", FLAG),
    ("connect", "pool_size", COUNT),
    ("connect", "timezone", ZONE),
    ("watch_revisions", "poll_seconds", SECONDS),
    ("watch_revisions", "quiet_seconds", SECONDS),
    ("add_member", "handle", HANDLE),
    ("add_member", "name", TEXT),
    ("add_member", "email", TEXT),
    ("add_member", "verified", FLAG),
    ("add_member", "admin", FLAG),
    ("add_member", "acting", OPTIONAL_HANDLE),
    ("init", "admin", HANDLE),
    ("init", "name", TEXT),
    ("init", "email", TEXT),
    ("verify_member", "handle", HANDLE),
    ("verify_member", "acting", OPTIONAL_HANDLE),
    ("member", "handle", HANDLE),
    ("add_machine", "name", HANDLE),
    ("add_machine", "daily_price", PRICE),
    ("add_machine", "title", TEXT),
    ("add_machine", "description", TEXT),
    ("add_machine", "auto_approve", FLAG),
    ("add_machine", "request_policy", [("int", 5, WRONG), ("unknown", "fifo", BAD)]),
    (
        "add_machine",
        "request_expiry_hours",
        [("str", "48", WRONG), ("zero", 0, BAD), ("huge", 10**9, BAD)],
    ),
    ("add_machine", "acting", OPTIONAL_HANDLE),
    ("add_machine", "unit_price", OPTIONAL_PRICE),
    ("add_machine", "minimum_charge", OPTIONAL_PRICE),
    ("edit_machine", "unit_price", OPTIONAL_PRICE),
    ("edit_machine", "minimum_charge", OPTIONAL_PRICE),
    ("edit_machine", "name", HANDLE),
    ("edit_machine", "acting", OPTIONAL_HANDLE),
    ("edit_machine", "title", TEXT),
    ("edit_machine", "description", TEXT),
    ("edit_machine", "price", PRICE),
    ("edit_machine", "auto_approve", FLAG),
    ("edit_machine", "request_policy", [("int", 5, WRONG), ("unknown", "fifo", BAD)]),
    (
        "edit_machine",
        "request_expiry_hours",
        [("str", "48", WRONG), ("zero", 0, BAD), ("huge", 10**9, BAD)],
    ),
    ("edit_machine", "meter", METER_UNIT),
    ("reactivate_machine", "name", HANDLE),
    ("reactivate_machine", "acting", OPTIONAL_HANDLE),
    ("machine_history", "name", HANDLE),
    ("edit_member", "handle", HANDLE),
    ("edit_member", "acting", OPTIONAL_HANDLE),
    ("edit_member", "name", TEXT),
    ("edit_member", "email", TEXT),
    ("set_role", "handle", HANDLE),
    ("set_role", "role", ROLE),
    ("set_role", "acting", OPTIONAL_HANDLE),
    ("deactivate_member", "handle", HANDLE),
    ("deactivate_member", "acting", OPTIONAL_HANDLE),
    ("deactivate_member", "today", OPTIONAL_DAY),
    ("reactivate_member", "handle", HANDLE),
    ("reactivate_member", "acting", OPTIONAL_HANDLE),
    ("member_history", "handle", HANDLE),
    ("edit_maintenance", "maintenance_id", RECORD_ID),
    ("edit_maintenance", "acting", OPTIONAL_HANDLE),
    ("edit_maintenance", "start", DAY),
    ("edit_maintenance", "end", DAY),
    ("edit_maintenance", "kind", KIND),
    ("edit_maintenance", "notes", TEXT),
    ("edit_maintenance", "force", FLAG),
    ("edit_maintenance", "today", OPTIONAL_DAY),
    ("maintenance_history", "maintenance_id", RECORD_ID),
    ("retire_machine", "name", HANDLE),
    ("retire_machine", "acting", OPTIONAL_HANDLE),
    ("retire_machine", "today", OPTIONAL_DAY),
    ("machine", "name", HANDLE),
    ("machines", "include_retired", FLAG),
    ("check", "machine", HANDLE),
    ("check", "start", DAY),
    ("check", "end", DAY),
    ("check", "today", OPTIONAL_DAY),
    ("check_many", "requests", REQUESTS),
    ("check_many", "today", OPTIONAL_DAY),
    ("check_many", "chunk", COUNT),
    ("free_windows", "machine", HANDLE),
    ("free_windows", "start", DAY),
    ("free_windows", "end", DAY),
    ("free_windows", "min_days", COUNT),
    ("free_windows", "today", OPTIONAL_DAY),
    ("book", "machine", HANDLE),
    ("book", "start", DAY),
    ("book", "end", DAY),
    ("book", "member", HANDLE),
    ("book", "purpose", TEXT),
    ("book", "acting", OPTIONAL_HANDLE),
    ("book", "today", OPTIONAL_DAY),
    ("approve", "rental_id", RECORD_ID),
    ("approve", "acting", OPTIONAL_HANDLE),
    ("approve", "today", OPTIONAL_DAY),
    ("reject", "rental_id", RECORD_ID),
    ("reject", "acting", OPTIONAL_HANDLE),
    ("reject", "reason", TEXT),
    ("reject", "today", OPTIONAL_DAY),
    ("cancel", "rental_id", RECORD_ID),
    ("cancel", "acting", OPTIONAL_HANDLE),
    ("cancel", "reason", TEXT),
    ("cancel", "today", OPTIONAL_DAY),
    ("complete", "rental_id", RECORD_ID),
    ("complete", "acting", OPTIONAL_HANDLE),
    ("complete", "today", OPTIONAL_DAY),
    ("housekeeping", "today", OPTIONAL_DAY),
    ("housekeeping_due", "today", OPTIONAL_DAY),
    ("move", "rental_id", RECORD_ID),
    ("move", "start", OPTIONAL_DAY),
    ("move", "end", OPTIONAL_DAY),
    ("move", "days", COUNT),
    ("move", "machine", OPTIONAL_HANDLE),
    ("move", "acting", OPTIONAL_HANDLE),
    ("move", "today", OPTIONAL_DAY),
    ("rental", "rental_id", RECORD_ID),
    ("history", "rental_id", RECORD_ID),
    ("rentals", "machine", OPTIONAL_HANDLE),
    ("rentals", "member", OPTIONAL_HANDLE),
    ("rentals", "status", RENTAL_STATUS),
    ("rentals", "start", OPTIONAL_DAY),
    ("rentals", "end", OPTIONAL_DAY),
    ("add_maintenance", "machine", HANDLE),
    ("add_maintenance", "start", DAY),
    ("add_maintenance", "end", DAY),
    ("add_maintenance", "kind", KIND),
    ("add_maintenance", "notes", TEXT),
    ("add_maintenance", "acting", OPTIONAL_HANDLE),
    ("add_maintenance", "force", FLAG),
    ("add_maintenance", "today", OPTIONAL_DAY),
    ("cancel_maintenance", "maintenance_id", RECORD_ID),
    ("cancel_maintenance", "acting", OPTIONAL_HANDLE),
    ("cancel_maintenance", "today", OPTIONAL_DAY),
    ("complete_maintenance", "maintenance_id", RECORD_ID),
    ("complete_maintenance", "acting", OPTIONAL_HANDLE),
    ("complete_maintenance", "today", OPTIONAL_DAY),
    ("maintenance", "machine", OPTIONAL_HANDLE),
    ("maintenance", "status", MAINTENANCE_STATUS),
    ("maintenance", "start", OPTIONAL_DAY),
    ("maintenance", "end", OPTIONAL_DAY),
    ("import_rentals", "rows", RENTAL_ROWS),
    ("import_rentals", "acting", OPTIONAL_HANDLE),
    ("import_rentals", "skip_invalid", FLAG),
    ("import_rentals", "progress", CALLBACK),
    ("import_rentals", "today", OPTIONAL_DAY),
    ("import_maintenance", "machine", HANDLE),
    ("import_maintenance", "rows", BLOCK_ROWS),
    ("import_maintenance", "kind", KIND),
    ("import_maintenance", "acting", OPTIONAL_HANDLE),
    ("import_maintenance", "skip_invalid", FLAG),
    *(
        (feed, param, values)
        for feed in ("feed_items", "events", "ical")
        for param, values in (
            ("machine", OPTIONAL_HANDLE),
            ("member", OPTIONAL_HANDLE),
            ("start", OPTIONAL_DAY),
            ("end", OPTIONAL_DAY),
            ("all_statuses", FLAG),
        )
    ),
    ("ical", "private", FLAG),
    ("ical", "viewer", OPTIONAL_HANDLE),
    ("notifications", "member", HANDLE),
    ("notifications", "unread_only", FLAG),
    ("notifications", "mark_read", FLAG),
    ("mark_read", "member", HANDLE),
    ("deliver_mail", "sender", SENDER),
    ("deliver_mail", "limit", COUNT),
    ("outbox", "failed_only", FLAG),
    ("outbox", "acting", OPTIONAL_HANDLE),
    ("retry_mail", "mail_id", RECORD_ID),
    ("retry_mail", "acting", OPTIONAL_HANDLE),
    ("discard_mail", "mail_id", RECORD_ID),
    ("discard_mail", "acting", OPTIONAL_HANDLE),
    ("recent_mail", "limit", [*COUNT, ("too-many", 501, BAD)]),
    ("recent_mail", "acting", OPTIONAL_HANDLE),
    ("mail_choices", "handle", HANDLE),
    ("mail_choices", "acting", OPTIONAL_HANDLE),
    ("set_mail_choices", "handle", HANDLE),
    ("set_mail_choices", "choices", MAIL_CHOICES),
    ("set_mail_choices", "acting", OPTIONAL_HANDLE),
    ("today", "today", OPTIONAL_DAY),
    ("book", "idempotency_key", TEXT),
    ("set_password", "handle", HANDLE),
    ("set_password", "password", SECRET),
    ("set_password", "acting", OPTIONAL_HANDLE),
    ("has_password", "handle", HANDLE),
    ("login", "handle", SECRET),
    ("login", "password", SECRET),
    ("login", "client", CLIENT),
    ("session_member", "secret", SECRET),
    ("logout", "secret", SECRET),
    ("request_password_reset", "handle_or_email", TEXT),
    ("request_password_reset", "client", CLIENT),
    ("reset_password", "secret", SECRET),
    ("reset_password", "password", SECRET),
    ("invite_member", "handle", HANDLE),
    ("invite_member", "email", ADDRESS),
    ("invite_member", "name", TEXT),
    ("invite_member", "verified", FLAG),
    ("invite_member", "acting", OPTIONAL_HANDLE),
    ("resend_invitation", "handle", HANDLE),
    ("resend_invitation", "acting", OPTIONAL_HANDLE),
    ("revoke_invitation", "handle", HANDLE),
    ("revoke_invitation", "acting", OPTIONAL_HANDLE),
    ("invitations", "acting", OPTIONAL_HANDLE),
    ("accept_invitation", "secret", SECRET),
    ("accept_invitation", "password", SECRET),
    ("change_email", "handle", HANDLE),
    ("change_email", "email", ADDRESS),
    ("change_email", "acting", OPTIONAL_HANDLE),
    ("pending_email", "handle", HANDLE),
    ("pending_email", "acting", OPTIONAL_HANDLE),
    ("confirm_email", "secret", SECRET),
    ("set_signup", "mode", SIGNUP_MODE),
    ("set_signup", "acting", OPTIONAL_HANDLE),
    ("sign_up", "handle", HANDLE),
    ("sign_up", "email", ADDRESS),
    ("sign_up", "password", SECRET),
    ("sign_up", "name", TEXT),
    ("sign_up", "client", CLIENT),
    ("create_token", "acting", OPTIONAL_HANDLE),
    ("create_token", "member", OPTIONAL_HANDLE),
    ("create_token", "name", TEXT),
    ("tokens", "acting", OPTIONAL_HANDLE),
    ("tokens", "include_revoked", FLAG),
    ("revoke_token", "token_id", RECORD_ID),
    ("revoke_token", "acting", OPTIONAL_HANDLE),
    ("token_member", "secret", SECRET),
    ("create_feed", "acting", OPTIONAL_HANDLE),
    ("create_feed", "machine", OPTIONAL_HANDLE),
    ("create_feed", "member", OPTIONAL_HANDLE),
    ("create_feed", "all_rentals", FLAG),
    ("create_feed", "fmt", TEXT),
    ("create_feed", "name", TEXT),
    ("feed_tokens", "acting", OPTIONAL_HANDLE),
    ("feed_tokens", "include_revoked", FLAG),
    ("revoke_feed", "feed_id", RECORD_ID),
    ("revoke_feed", "acting", OPTIONAL_HANDLE),
    ("feed_by_secret", "secret", SECRET),
    ("set_timezone", "zone", ZONE),
    ("set_timezone", "acting", OPTIONAL_HANDLE),
    ("set_limits", "max_days", LIMIT_DAYS),
    ("set_limits", "horizon_days", LIMIT_DAYS),
    ("set_limits", "acting", OPTIONAL_HANDLE),
    ("set_reminder_hour", "hour", REMINDER_HOUR),
    ("set_reminder_hour", "acting", OPTIONAL_HANDLE),
    ("set_currency", "currency", CURRENCY),
    ("set_currency", "acting", OPTIONAL_HANDLE),
    ("set_cancellation_policy", "free_days", FREE_DAYS),
    ("set_cancellation_policy", "fee", FEE),
    ("set_cancellation_policy", "share", [("float", 50.0, WRONG), ("both", "50", BAD)]),
    ("set_cancellation_policy", "acting", OPTIONAL_HANDLE),
    ("statement", "period", PERIOD),
    ("statement", "member", OPTIONAL_HANDLE),
    ("statement", "acting", OPTIONAL_HANDLE),
    ("charges", "period", PERIOD),
    ("charges", "member", OPTIONAL_HANDLE),
    ("charges", "acting", OPTIONAL_HANDLE),
    ("rental_charges", "rental_id", RECORD_ID),
    ("rental_charges", "acting", OPTIONAL_HANDLE),
    ("add_charge", "member", HANDLE),
    ("add_charge", "amount", [*FEE[:3], ("none", None, WRONG), ("zero", "0", BAD)]),
    ("add_charge", "reason", [*TEXT, ("none", None, BAD), ("blank", "  ", BAD)]),
    ("add_charge", "rental", [("str", "1", WRONG), ("bool", True, WRONG), ("zero", 0, BAD)]),
    ("add_charge", "acting", OPTIONAL_HANDLE),
    ("add_charge", "today", OPTIONAL_DAY),
    ("queue_reminders", "today", OPTIONAL_DAY),
    ("set_no_show_hours", "hours", NO_SHOW_HOURS),
    ("set_no_show_hours", "acting", OPTIONAL_HANDLE),
    ("checkout", "rental_id", RECORD_ID),
    ("checkout", "meter", METER),
    ("checkout", "notes", TEXT),
    ("checkout", "acting", OPTIONAL_HANDLE),
    ("checkout", "today", OPTIONAL_DAY),
    ("checkin", "rental_id", RECORD_ID),
    ("checkin", "meter", METER),
    ("checkin", "condition", CONDITION),
    ("checkin", "notes", TEXT),
    ("checkin", "repair_until", DAY),
    ("checkin", "acting", OPTIONAL_HANDLE),
    ("checkin", "today", OPTIONAL_DAY),
    ("handovers", "rental_id", RECORD_ID),
    ("last_reading", "machine", HANDLE),
    ("meter_readings", "machine", HANDLE),
    ("keepers", "machine", HANDLE),
    ("add_keeper", "machine", HANDLE),
    ("add_keeper", "member", HANDLE),
    ("add_keeper", "acting", OPTIONAL_HANDLE),
    ("remove_keeper", "machine", HANDLE),
    ("remove_keeper", "member", HANDLE),
    ("remove_keeper", "acting", OPTIONAL_HANDLE),
    ("add_usage", "minute", MINUTE),
    ("add_usage", "counts", COUNTS),
    ("usage", "since", MINUTE),
    ("utilisation", "month", [*OPTIONAL_DAY, ("mid-month", d(15), BAD)]),
    ("utilisation", "months", [*COUNT, ("too-many", 37, BAD)]),
    ("utilisation", "acting", OPTIONAL_HANDLE),
    ("utilisation", "today", OPTIONAL_DAY),
    ("billing_address", "handle", HANDLE),
    ("billing_address", "acting", OPTIONAL_HANDLE),
    ("issue_invoices", "month", [*PERIOD, ("year", "2029", BAD)]),
    ("issue_invoices", "member", OPTIONAL_HANDLE),
    ("issue_invoices", "acting", OPTIONAL_HANDLE),
    ("issue_invoices", "today", OPTIONAL_DAY),
    ("credit_invoice", "number", [*TEXT, ("none", None, WRONG)]),
    ("credit_invoice", "reason", [*TEXT, ("none", None, WRONG)]),
    ("credit_invoice", "amount", FEE),
    ("credit_invoice", "acting", OPTIONAL_HANDLE),
    ("credit_invoice", "today", OPTIONAL_DAY),
    ("invoices", "member", OPTIONAL_HANDLE),
    ("invoices", "open_only", FLAG),
    ("invoices", "acting", OPTIONAL_HANDLE),
    ("invoice", "number", [*TEXT, ("none", None, WRONG)]),
    ("invoice", "acting", OPTIONAL_HANDLE),
    ("invoice_pdf", "number", [*TEXT, ("none", None, WRONG)]),
    ("invoice_pdf", "acting", OPTIONAL_HANDLE),
    ("add_payment", "member", HANDLE),
    ("add_payment", "amount", [*FEE[:3], ("none", None, WRONG), ("zero", "0", BAD)]),
    (
        "add_payment",
        "method",
        [("int", 5, WRONG), ("none", None, WRONG), ("unknown", "cheque", BAD)],
    ),
    ("add_payment", "reference", TEXT),
    ("add_payment", "reason", TEXT),
    ("add_payment", "received_on", OPTIONAL_DAY),
    ("add_payment", "invoice", TEXT),
    ("add_payment", "acting", OPTIONAL_HANDLE),
    ("payments", "member", OPTIONAL_HANDLE),
    ("payments", "acting", OPTIONAL_HANDLE),
    ("balance", "member", OPTIONAL_HANDLE),
    ("balance", "acting", OPTIONAL_HANDLE),
    ("remind_overdue", "today", OPTIONAL_DAY),
    ("set_invoice_settings", "acting", OPTIONAL_HANDLE),
    ("set_invoice_settings", "name", TEXT),
    ("set_invoice_settings", "address_lines", [("int", 5, WRONG), ("str", "Hof 1", WRONG)]),
    ("set_invoice_settings", "postcode", TEXT),
    ("set_invoice_settings", "city", TEXT),
    ("set_invoice_settings", "country", [*TEXT, ("unknown", "XX", BAD)]),
    ("set_invoice_settings", "vat_id", [*TEXT, ("short", "DE1", BAD)]),
    ("set_invoice_settings", "tax_number", TEXT),
    ("set_invoice_settings", "email", TEXT),
    ("set_invoice_settings", "iban", [*TEXT, ("checksum", "DE00", BAD)]),
    ("set_invoice_settings", "bic", TEXT),
    ("set_invoice_settings", "vat_rate", [("float", 1.5, WRONG), ("bytes", b"19", WRONG)]),
    ("set_invoice_settings", "vat_note", TEXT),
    ("set_invoice_settings", "terms_days", [("str", "x", WRONG), ("too-many", 400, BAD)]),
    ("set_invoice_settings", "reminder_days", [("int", 5, WRONG), ("backwards", [3, 2], BAD)]),
    ("set_billing_address", "handle", HANDLE),
    ("set_billing_address", "acting", OPTIONAL_HANDLE),
    ("set_billing_address", "name", TEXT),
    ("set_billing_address", "address_lines", [("int", 5, WRONG), ("str", "Hof 1", WRONG)]),
    ("set_billing_address", "postcode", TEXT),
    ("set_billing_address", "city", TEXT),
    ("set_billing_address", "country", [*TEXT, ("unknown", "XX", BAD)]),
    ("set_billing_address", "vat_id", [*TEXT, ("short", "DE1", BAD)]),
    (
        "set_online_payments",
        "hold_minutes",
        [("str", "30", WRONG), ("bool", True, WRONG), ("short", 10, BAD), ("long", 2000, BAD)],
    ),
    ("set_online_payments", "at_booking", FLAG[:3]),
    ("set_online_payments", "invoices", FLAG[:3]),
    ("set_online_payments", "acting", OPTIONAL_HANDLE),
    ("invoice_checkout", "number", [*TEXT, ("none", None, WRONG)]),
    ("invoice_checkout", "acting", OPTIONAL_HANDLE),
    ("booking_checkout", "rental_id", RECORD_ID),
    ("booking_checkout", "acting", OPTIONAL_HANDLE),
    ("record_checkout", "request", [("dict", {"amount": "1"}, WRONG), ("none", None, WRONG)]),
    ("record_checkout", "stripe_id", [*TEXT, ("none", None, WRONG)]),
    ("checkout_event", "event", [("dict", {"id": "evt_1"}, WRONG), ("none", None, WRONG)]),
    ("awaiting_payment", "member", OPTIONAL_HANDLE),
    ("awaiting_payment", "acting", OPTIONAL_HANDLE),
]

#: Bob's password in :func:`api`.
PASSWORD = "correct horse"
#: The secret of the password-reset link :func:`build_api` asks for (for ada).
RESET_SECRET = "r" * 43
#: The secret of the invitation :func:`build_api` sends (to ivy).
INVITE_SECRET = "v" * 43
#: The secret of the address confirmation :func:`build_api` sends (ada's new address).
CONFIRM_SECRET = "c" * 43

#: Public methods without parameters (listed, so a new method is a decision).
NO_PARAMETERS = {
    "invoice_settings",
    "invoice_settings_history",
    "cancellation_policy",
    "cancellation_policy_history",
    "close",
    "currency",
    "currency_history",
    "online_payments",
    "online_payments_history",
    "is_empty",
    "limits",
    "limits_history",
    "reminder_hour",
    "reminder_hour_history",
    "signup",
    "signup_history",
    "members",
    "no_show_hours",
    "no_show_hours_history",
    "now",
    "revision",
    "timezone",
    "timezone_history",
}

#: A call that works on :func:`api` for every method: each row changes one argument.
#: A Checkout Session's request, as the web front end hands it to the library.
CHECKOUT = CheckoutRequest(
    Purpose.INVOICE, "bob", None, Decimal("10.00"), "EUR", "Invoice", invoice="2030-000001"
)


GOOD: dict[str, dict[str, Any]] = {
    "connect": {"busy_timeout": 5, "clock": make_clock()},
    "add_member": {
        "handle": "eve",
        "name": "Eve",
        "email": "eve@example.org",
        "verified": True,
        "admin": False,
        "acting": "ada",
    },
    "init": {"admin": "zed", "name": "Zed", "email": "zed@example.org"},
    "set_timezone": {"zone": "Europe/Berlin", "acting": "ada"},
    "set_limits": {"max_days": 60, "horizon_days": 365, "acting": "ada"},
    "set_reminder_hour": {"hour": 8, "acting": "ada"},
    "set_currency": {"currency": "eur", "acting": "ada"},
    "set_no_show_hours": {"hours": 24, "acting": "ada"},
    "checkout": {"rental_id": 2, "notes": "tank full", "acting": "ada", "today": TODAY},
    "checkin": {
        "rental_id": 2,
        "condition": "needs-attention",
        "notes": "loose belt",
        "acting": "ada",
        "today": TODAY,
    },
    "handovers": {"rental_id": 2},
    "last_reading": {"machine": "saw"},
    "meter_readings": {"machine": "saw"},
    "keepers": {"machine": "saw"},
    "add_keeper": {"machine": "saw", "member": "dan", "acting": "ada"},
    "remove_keeper": {"machine": "saw", "member": "dan", "acting": "ada"},
    "set_cancellation_policy": {"free_days": 7, "fee": "25", "share": None, "acting": "ada"},
    "statement": {"period": "2030-01", "member": "bob", "acting": "ada"},
    "charges": {"period": "2030", "member": "bob", "acting": "ada"},
    "rental_charges": {"rental_id": 2, "acting": "bob"},
    "add_charge": {
        "member": "bob",
        "amount": "-5",
        "reason": "goodwill",
        "rental": 2,
        "acting": "ada",
        "today": TODAY,
    },
    "queue_reminders": {"today": TODAY},
    "verify_member": {"handle": "carol", "acting": "ada"},
    "member": {"handle": "bob"},
    "add_machine": {
        "name": "drill",
        "daily_price": Decimal("7.50"),
        "title": "Drill",
        "description": "cordless",
        "auto_approve": False,
        "acting": "ada",
        "request_policy": "queue",
        "request_expiry_hours": 48,
        "unit_price": "1.25",
        "minimum_charge": 10,
    },
    "retire_machine": {"name": "tractor", "acting": "ada", "today": TODAY},
    "edit_machine": {
        "name": "tractor",
        "acting": "ada",
        "title": "Tractor",
        "description": None,
        "price": "130",
        "auto_approve": True,
        "unit_price": None,
        "minimum_charge": "5",
    },
    "reactivate_machine": {"name": "old", "acting": "ada"},
    "machine_history": {"name": "tractor"},
    "edit_member": {"handle": "bob", "acting": "bob", "name": "Bobby", "email": None},
    "set_role": {"handle": "carol", "role": "admin", "acting": "ada"},
    "deactivate_member": {"handle": "dan", "acting": "ada", "today": TODAY},
    "reactivate_member": {"handle": "zoe", "acting": "ada"},
    "member_history": {"handle": "bob"},
    "edit_maintenance": {
        "maintenance_id": 1,
        "acting": "ada",
        "start": d(9),
        "end": d(10),
        "kind": "repair",
        "notes": None,
        "force": True,
        "today": TODAY,
    },
    "maintenance_history": {"maintenance_id": 1},
    "machine": {"name": "saw"},
    "machines": {"include_retired": False},
    "check": {"machine": "tractor", "start": d(20), "end": d(21), "today": TODAY},
    "check_many": {"requests": [("tractor", d(20), d(21))], "today": TODAY, "chunk": 10},
    "watch_revisions": {"poll_seconds": 0.5, "quiet_seconds": 5},
    "free_windows": {
        "machine": "tractor",
        "start": d(9),
        "end": d(25),
        "min_days": 1,
        "today": TODAY,
    },
    "book": {
        "machine": "tractor",
        "start": d(20),
        "end": d(21),
        "member": "bob",
        "purpose": "hay",
        "acting": "ada",
        "today": TODAY,
        "idempotency_key": "key-1",
    },
    "approve": {"rental_id": 1, "acting": "ada", "today": TODAY},
    "reject": {"rental_id": 1, "acting": "ada", "reason": "harvest", "today": TODAY},
    "cancel": {"rental_id": 1, "acting": "bob", "reason": "plans changed", "today": TODAY},
    "complete": {"rental_id": 2, "acting": "ada", "today": TODAY},
    "housekeeping": {"today": TODAY},
    "housekeeping_due": {"today": TODAY},
    "move": {
        "rental_id": 1,
        "start": d(20),
        "end": None,
        "days": 2,
        "machine": "tractor",
        "acting": "ada",
        "today": TODAY,
    },
    "rental": {"rental_id": 1},
    "history": {"rental_id": 1},
    "rentals": {
        "machine": "tractor",
        "member": "bob",
        "status": ["pending"],
        "start": d(1),
        "end": d(31),
    },
    "add_maintenance": {
        "machine": "tractor",
        "start": d(20),
        "end": d(21),
        "kind": "repair",
        "notes": "oil",
        "acting": "ada",
        "force": False,
        "today": TODAY,
    },
    "cancel_maintenance": {"maintenance_id": 1, "acting": "ada", "today": TODAY},
    "complete_maintenance": {"maintenance_id": 1, "acting": "ada", "today": TODAY},
    "set_password": {"handle": "bob", "password": "another password", "acting": "ada"},
    "has_password": {"handle": "bob"},
    "login": {"handle": "bob", "password": PASSWORD, "client": "203.0.113.5"},
    "session_member": {"secret": "x" * 43},
    "logout": {"secret": "x" * 43},
    "request_password_reset": {"handle_or_email": "ada@example.org", "client": "203.0.113.5"},
    "reset_password": {"secret": RESET_SECRET, "password": "another password"},
    "invite_member": {
        "handle": "eve",
        "email": "eve@example.org",
        "name": "Eve",
        "verified": True,
        "acting": "ada",
    },
    "resend_invitation": {"handle": "ivy", "acting": "ada"},
    "revoke_invitation": {"handle": "ivy", "acting": "ada"},
    "invitations": {"acting": "ada"},
    "accept_invitation": {"secret": INVITE_SECRET, "password": "another password"},
    "change_email": {"handle": "bob", "email": "bob@example.org", "acting": "bob"},
    "pending_email": {"handle": "ada", "acting": "ada"},
    "confirm_email": {"secret": CONFIRM_SECRET},
    "set_signup": {"mode": "open", "acting": "ada"},
    "sign_up": {
        "handle": "sue",
        "email": "sue@example.org",
        "password": "another password",
        "name": "Sue",
        "client": "203.0.113.5",
    },
    "create_token": {"acting": "ada", "member": "bob", "name": "laptop"},
    "tokens": {"acting": "ada", "include_revoked": True},
    "revoke_token": {"token_id": 1, "acting": "ada"},
    "token_member": {"secret": "x" * 43},
    "create_feed": {
        "acting": "ada",
        "machine": "tractor",
        "member": None,
        "all_rentals": False,
        "fmt": "json",
        "name": "phone",
    },
    "feed_tokens": {"acting": "ada", "include_revoked": False},
    "revoke_feed": {"feed_id": 1, "acting": "ada"},
    "feed_by_secret": {"secret": "x" * 43},
    "maintenance": {"machine": "tractor", "status": "scheduled", "start": d(1), "end": d(31)},
    "import_rentals": {
        "rows": [GOOD_ROW],
        "acting": "ada",
        "skip_invalid": False,
        "progress": None,
        "today": TODAY,
    },
    "import_maintenance": {
        "machine": "saw",
        "rows": [GOOD_BLOCK],
        "kind": "preventive",
        "acting": "ada",
        "skip_invalid": False,
    },
    **{
        feed: {
            "machine": "tractor",
            "member": None,
            "start": d(1),
            "end": d(31),
            "all_statuses": True,
        }
        for feed in ("feed_items", "events", "ical")
    },
    "notifications": {"member": "bob", "unread_only": True, "mark_read": True},
    "mark_read": {"member": "bob"},
    "deliver_mail": {"sender": AcceptingSender(), "limit": 1},
    "outbox": {"failed_only": False, "acting": "ada"},
    "retry_mail": {"mail_id": 1, "acting": "ada"},
    "discard_mail": {"mail_id": 1, "acting": "ada"},
    "recent_mail": {"limit": 10, "acting": "ada"},
    "mail_choices": {"handle": "bob", "acting": "bob"},
    "set_mail_choices": {"handle": "bob", "choices": {"approved": "in-app"}, "acting": "bob"},
    "today": {"today": TODAY},
    "add_usage": {
        "minute": datetime(2030, 1, 9, 12, 0, 30, tzinfo=UTC),
        "counts": {"requests": 3, "check:2": 1, "queries": 0},
    },
    "usage": {"since": datetime(2030, 1, 9, 11, 0, tzinfo=UTC)},
    "utilisation": {"month": d(1), "months": 2, "acting": "ada", "today": TODAY},
    "billing_address": {"handle": "bob", "acting": "bob"},
    "issue_invoices": {"month": "2029-12", "member": "bob", "acting": "ada", "today": TODAY},
    "credit_invoice": {
        "number": "2030-000001",
        "reason": "goodwill",
        "amount": "1",
        "acting": "ada",
        "today": FEB,
    },
    "invoices": {"member": "bob", "open_only": True, "acting": "ada"},
    "invoice": {"number": "2030-000001", "acting": "bob"},
    "invoice_pdf": {"number": "2030-000001", "acting": "bob"},
    "add_payment": {
        "member": "bob",
        "amount": "10.00",
        "method": "cash",
        "reference": "R1",
        "reason": None,
        "received_on": TODAY,
        "invoice": None,
        "acting": "ada",
    },
    "payments": {"member": "bob", "acting": "bob"},
    "balance": {"member": "bob", "acting": "bob"},
    "remind_overdue": {"today": TODAY},
    "set_invoice_settings": {"acting": "ada", "name": "Coop", "country": "DE", "terms_days": 30},
    "set_billing_address": {"handle": "bob", "acting": "bob", "city": "Ulm", "country": "DE"},
    "set_online_payments": {
        "hold_minutes": 30,
        "at_booking": True,
        "invoices": True,
        "acting": "ada",
    },
    "invoice_checkout": {"number": "2030-000001", "acting": "bob"},
    "booking_checkout": {"rental_id": 3, "acting": "bob"},
    "record_checkout": {"request": CHECKOUT, "stripe_id": "cs_test_1"},
    "checkout_event": {"event": CheckoutEvent("evt_1", "customer.created")},
    "awaiting_payment": {"member": "bob", "acting": "bob"},
}


#: The refusals decided inside a database transaction (check_many reads the
#: calendar before it meets a bad item in the stream): they run on both backends.
#: Every other refusal opens no transaction at all (test_bad_argument_is_refused
#: asserts it), so the backend cannot change its outcome: SQLite only.
IN_A_TRANSACTION = {
    ("check_many", "requests", "dict-request"),
    ("check_many", "requests", "str-dates"),
    ("check_many", "requests", "two-items"),
}


def _rows(in_transaction: bool) -> Iterator[Any]:
    """The refused rows made inside a transaction (``in_transaction``), or the others."""
    for method, param, values in TABLE:
        for label, value, error in values:
            if ((method, param, label) in IN_A_TRANSACTION) is not in_transaction:
                continue
            yield pytest.param(method, param, value, error, id=f"{method}-{param}-{label}")


def public_methods() -> dict[str, Any]:
    """The public methods of Rentcal (properties such as ``url`` are not calls)."""
    return {
        name: fn
        for name, fn in inspect.getmembers(Rentcal, inspect.isfunction)
        if not name.startswith("_")
    }


def parameters(fn: Any) -> list[str]:
    return [p for p in inspect.signature(fn).parameters if p != "self"]


@pytest.fixture
def api(request: pytest.FixtureRequest, db_url: str) -> Iterator[rentcal.Rentcal]:
    """``seeded`` plus rental 1 (pending, tractor 10-12, bob), rental 2 (approved,
    saw today, bob), maintenance 1 (tractor today), retired machine 'old' and
    deactivated member 'zoe': on SQLite a copy of :func:`api_template` with the
    clock where building it left it; on PostgreSQL built by :func:`build_api`."""
    if db_url.startswith("sqlite"):
        template, used = request.getfixturevalue("api_template")
        shutil.copy(template, sa.make_url(db_url).database or "")
        with rentcal.connect(db_url, clock=_clock_after(used), busy_timeout=BUSY_TIMEOUT) as cal:
            yield cal
        return
    with rentcal.connect(db_url, clock=make_clock(), busy_timeout=BUSY_TIMEOUT) as cal:
        yield build_api(seed(cal))


def _clock_after(ticks: int) -> Callable[[], datetime]:
    """The tests' clock, read ``ticks`` times already (as building the template did)."""
    clock = make_clock()
    for _ in range(ticks):
        clock()
    return clock


@pytest.fixture(scope="session")
def api_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A SQLite file holding :func:`api`'s database, and how often building it read
    the clock: made once per session (Argon2 hashing and ten writes)."""
    path = tmp_path_factory.mktemp("api") / "rentcal.db"
    ticks = itertools.count()
    clock = make_clock()

    def counting() -> datetime:
        next(ticks)
        return clock()

    with rentcal.connect(f"sqlite:///{path}", clock=counting, busy_timeout=BUSY_TIMEOUT) as cal:
        build_api(seed(cal))
    return path, next(ticks)


@pytest.fixture(scope="module")
def refusing_api(
    api_template: tuple[Path, int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[rentcal.Rentcal, str]]:
    """:func:`api` on SQLite and its URL, shared by the refusals that open no
    transaction: a copy of :func:`api_template` with the clock where building it
    left it. A refusal that began one fails its own test (it is counted), so a
    row it might have written never goes unnoticed."""
    template, used = api_template
    path = tmp_path_factory.mktemp("refusals") / "rentcal.db"
    shutil.copy(template, path)
    url = f"sqlite:///{path}"
    with rentcal.connect(url, clock=_clock_after(used), busy_timeout=BUSY_TIMEOUT) as cal:
        yield cal, url


def build_api(seeded: rentcal.Rentcal) -> rentcal.Rentcal:
    """:func:`api`'s rows, added to :func:`tests.conftest.seeded`'s."""
    assert seeded.book("tractor", d(10), d(12), member="bob", today=TODAY).id == 1
    assert seeded.book("saw", d(9), d(9), member="bob", today=TODAY).id == 2
    assert seeded.add_maintenance("tractor", d(9), d(9), acting="ada", today=TODAY).id == 1
    seeded.set_password("bob", PASSWORD, acting="ada")
    assert seeded.create_token("ada")[0].id == 1
    assert seeded.create_feed("ada")[0].id == 1
    seeded.add_machine("old", acting="ada")
    seeded.retire_machine("old", acting="ada", today=TODAY)
    seeded.add_member("zoe", acting="ada")
    seeded.deactivate_member("zoe", acting="ada", today=TODAY)
    with mock.patch("rentcal.service.invitations.new_secret", return_value=INVITE_SECRET):
        seeded.invite_member("ivy", "ivy@example.org", acting="ada")
    with mock.patch("rentcal.service.email_links.new_secret", return_value=CONFIRM_SECRET):
        seeded.change_email("ada", "ada@new.example.org", acting="ada")
    seeded.set_signup("open", acting="ada")
    with mock.patch("rentcal.service.password_reset.new_secret", return_value=RESET_SECRET):
        seeded.request_password_reset("ada")
    return seeded


def call(cal: rentcal.Rentcal, db_url: str, method: str, kwargs: dict[str, Any]) -> Any:
    """Call ``method`` with ``kwargs``; a stream is consumed (its items returned as a
    list), raising the first error it yields."""
    if method == "connect":
        with rentcal.connect(**{"url": db_url, **kwargs}) as other:
            return other.members()
    result = getattr(cal, method)(**kwargs)
    if isinstance(result, Iterator):
        items = list(result)
        for item in items:
            if isinstance(item, Exception):
                raise item
        return items
    return result


def _handles(items: Any) -> list[str]:
    return [m.handle for m in items]


def _invoicing(cal: rentcal.Rentcal, *, issue: bool = True) -> None:
    """Invoice settings ready; with ``issue``, bob's invoice 2030-000001 (10.00, no VAT)."""
    cal.set_currency("EUR", acting="ada")
    cal.set_invoice_settings(acting="ada", name="Coop", country="DE")
    if issue:
        cal.add_charge("bob", "10.00", "Hire", acting="ada", today=d(5))
        cal.issue_invoices("2030-01", acting="ada", today=FEB)


def _paying(cal: rentcal.Rentcal, *, book: bool = False) -> None:
    """Online payments on (an invoice to pay: 2030-000001); with ``book``, bob's
    booking 3 of the saw awaits payment."""
    _invoicing(cal)
    cal.set_online_payments(hold_minutes=30, at_booking=True, invoices=True, acting="ada")
    if book:
        cal.book("saw", d(20), d(20), member="bob", today=TODAY)


#: What a good call needs on :func:`api` first (its refusals are decided before it matters).
PREPARE: dict[str, Any] = {
    "issue_invoices": lambda a: _invoicing(a, issue=False),
    "credit_invoice": lambda a: _invoicing(a),
    "invoice": lambda a: _invoicing(a),
    "invoice_pdf": lambda a: _invoicing(a),
    "checkin": lambda a: a.checkout(2, acting="ada", today=TODAY),
    "remove_keeper": lambda a: a.add_keeper("saw", "dan", acting="ada"),
    "set_online_payments": lambda a: a.set_currency("EUR", acting="ada"),
    "invoice_checkout": _paying,
    "booking_checkout": lambda a: _paying(a, book=True),
    "record_checkout": _paying,
    "awaiting_payment": lambda a: _paying(a, book=True),
}


#: What each call of :data:`GOOD` answers on :func:`api` (and what it changed):
#: ``EXPECT[method](result, api)`` asserts it.
EXPECT: dict[str, Any] = {
    "connect": lambda r, a: _handles(r) == ["ada", "bob", "carol", "dan", "ivy", "zoe"],
    "add_member": lambda r, a: (
        (r.handle, r.verified, r.role.value, r.email) == ("eve", True, "member", "eve@example.org")
        and a.member("eve") == r
    ),
    # the database has members: nothing made, nobody added
    "init": lambda r, a: r is None and "zed" not in _handles(a.members()),
    "set_timezone": lambda r, a: (
        (r.name, r.changed_by) == ("Europe/Berlin", "ada") and a.timezone().name == "Europe/Berlin"
    ),
    "set_limits": lambda r, a: (
        (r.max_days, r.horizon_days, r.source, r.changed_by) == (60, 365, "database", "ada")
        and a.limits() == r
        and [(k, v) for k, v, _by, _at in a.limits_history()]
        in ([("max_days", 60), ("horizon_days", 365)], [("horizon_days", 365), ("max_days", 60)])
    ),
    "verify_member": lambda r, a: (r.handle, r.verified) == ("carol", True),
    "member": lambda r, a: (r.handle, r.name) == ("bob", "Bob Baker"),
    "add_machine": lambda r, a: (
        (
            r.name,
            r.daily_price,
            r.description,
            r.request_policy.value,
            r.request_expiry_hours,
            r.unit_price,
            r.minimum_charge,
        )
        == ("drill", Decimal("7.50"), "cordless", "queue", 48, Decimal("1.25"), Decimal("10.00"))
    ),
    "retire_machine": lambda r, a: (r.name, r.status.value) == ("tractor", "retired"),
    "edit_machine": lambda r, a: (
        (
            r.value.title,
            r.value.daily_price,
            r.value.auto_approve,
        )
        == ("Tractor", Decimal("130.00"), True)
        and {c.field for c in r.changes} >= {"title", "daily_price", "auto_approve"}
        and (r.value.unit_price, r.value.minimum_charge) == (None, Decimal("5.00"))
    ),
    "reactivate_machine": lambda r, a: (r.name, r.status.value) == ("old", "active"),
    "machine_history": lambda r, a: r == [],
    "edit_member": lambda r, a: (
        r.value.name == "Bobby"
        and [(c.field, c.old, c.new) for c in r.changes] == [("name", "Bob Baker", "Bobby")]
    ),
    "set_role": lambda r, a: (
        r.value.role.value == "admin" and ("role", "admin") in [(c.field, c.new) for c in r.changes]
    ),
    "deactivate_member": lambda r, a: (r.handle, r.active) == ("dan", False),
    "reactivate_member": lambda r, a: (r.handle, r.active) == ("zoe", True),
    "member_history": lambda r, a: r == [],
    "edit_maintenance": lambda r, a: (
        (r.value.id, r.value.end, r.value.kind.value) == (1, d(10), "repair")
    ),
    "maintenance_history": lambda r, a: r == [],
    "machine": lambda r, a: (r.name, r.daily_price) == ("saw", Decimal("15.50")),
    "machines": lambda r, a: [m.name for m in r] == ["saw", "tractor"],
    "check": lambda r, a: (r.machine, r.available, r.conflicts) == ("tractor", True, ()),
    "check_many": lambda r, a: (
        [(x.machine, x.start, x.end, x.available) for x in r] == [("tractor", d(20), d(21), True)]
    ),
    "free_windows": lambda r, a: r == [(d(13), d(25))],
    "watch_revisions": lambda r, a: callable(r.wait) and r.close() is None,
    "book": lambda r, a: (
        (r.id, r.machine, r.member, r.start, r.end, r.status.value, r.purpose)
        == (3, "tractor", "bob", d(20), d(21), "pending", "hay")
    ),
    "approve": lambda r, a: (r.id, r.status.value) == (1, "approved"),
    "reject": lambda r, a: (r.id, r.status.value) == (1, "rejected"),
    "cancel": lambda r, a: (r.id, r.status.value) == (1, "cancelled"),
    "complete": lambda r, a: (r.id, r.status.value) == (2, "completed"),
    "housekeeping": lambda r, a: (r.expired, r.completed) == (0, 0),
    "housekeeping_due": lambda r, a: r is False,
    "set_reminder_hour": lambda r, a: (
        r == 8
        and a.reminder_hour() == 8
        and [h for h, _by, _at in a.reminder_hour_history()] == [8]
    ),
    "set_currency": lambda r, a: (
        r == "EUR"
        and a.currency() == "EUR"
        and [c for c, _by, _at in a.currency_history()] == ["EUR"]
    ),
    "set_cancellation_policy": lambda r, a: (
        (r.free_days, r.fee, r.share) == (7, Decimal("25.00"), None)
        and [p for p, _by, _at in a.cancellation_policy_history()] == [r]
    ),
    "statement": lambda r, a: (r.member, r.period.label, r.charges) == ("bob", "2030-01", ()),
    "charges": lambda r, a: r == [],
    "rental_charges": lambda r, a: r == [],
    "add_charge": lambda r, a: (
        (r.kind.value, r.amount, r.rental_id, r.charged_on, r.created_by)
        == ("correction", Decimal("-5.00"), 2, TODAY, "ada")
        and a.rental_charges(2, acting="ada") == [r]
    ),
    # the seeded members have no rental starting tomorrow or ending today
    "queue_reminders": lambda r, a: r == 0,
    "billing_address": lambda r, a: (r.handle, r.stored) == ("bob", False),
    "issue_invoices": lambda r, a: r == [] and a.invoices(acting="ada") == [],
    "credit_invoice": lambda r, a: (
        (r.number, r.gross, r.refers_to) == ("2030-000002", Decimal("-1.00"), "2030-000001")
    ),
    "invoices": lambda r, a: r == [],
    "invoice": lambda r, a: (r.number, r.totals.gross) == ("2030-000001", Decimal("10.00")),
    "invoice_pdf": lambda r, a: r.startswith(b"%PDF"),
    "add_payment": lambda r, a: (
        (r.amount, r.method.value, r.allocations) == (Decimal("10.00"), "cash", ())
    ),
    "payments": lambda r, a: r == [],
    "balance": lambda r, a: r.balance.balance == Decimal("0.00") and r.open_items == (),
    "remind_overdue": lambda r, a: r == 0,
    "set_invoice_settings": lambda r, a: (
        (r.name, r.country, r.terms_days) == ("Coop", "DE", 30) and a.invoice_settings() == r
    ),
    "set_billing_address": lambda r, a: (r.city, r.country, r.stored) == ("Ulm", "DE", True),
    "set_online_payments": lambda r, a: (r.hold_minutes, r.invoices) == (30, True),
    "invoice_checkout": lambda r, a: (r.invoice, r.amount) == ("2030-000001", Decimal("10.00")),
    "booking_checkout": lambda r, a: (r.rental_id, r.member) == (3, "bob"),
    "record_checkout": lambda r, a: r is None,
    "checkout_event": lambda r, a: r == "ignored",
    "awaiting_payment": lambda r, a: [p.rental.id for p in r] == [3],
    "set_no_show_hours": lambda r, a: (
        r == 24 and a.no_show_hours() == 24 and [h for h, _, _ in a.no_show_hours_history()] == [24]
    ),
    "checkout": lambda r, a: (
        (r.rental_id, r.kind.value, r.by, r.notes) == (2, "out", "ada", "tank full")
        and a.handovers(2) == [r]
    ),
    "checkin": lambda r, a: (
        (r.kind.value, r.condition.value, r.late) == ("in", "needs-attention", False)
        and a.rental(2).status.value == "completed"
    ),
    "handovers": lambda r, a: r == [],
    "last_reading": lambda r, a: r is None,  # the saw has no meter
    "meter_readings": lambda r, a: r == [],
    "keepers": lambda r, a: r == [],
    "add_keeper": lambda r, a: (
        r == ["dan"] and [(c.field, c.new) for c in a.machine_history("saw")] == [("keeper", "dan")]
    ),
    "remove_keeper": lambda r, a: r == [] and a.keepers("saw") == [],
    "move": lambda r, a: (r.id, r.machine, r.start, r.end) == (1, "tractor", d(20), d(21)),
    "rental": lambda r, a: (
        (r.id, r.machine, r.member, r.status.value) == (1, "tractor", "bob", "pending")
    ),
    "history": lambda r, a: (
        [(h["from"], h["to"], h["by"]) for h in r] == [(None, "pending", "bob")]
    ),
    "rentals": lambda r, a: [x.id for x in r] == [1],
    "add_maintenance": lambda r, a: (
        (r.id, r.machine, r.start, r.end, r.kind.value, r.notes)
        == (2, "tractor", d(20), d(21), "repair", "oil")
    ),
    "cancel_maintenance": lambda r, a: (r.id, r.status.value) == (1, "cancelled"),
    "complete_maintenance": lambda r, a: (r.id, r.status.value) == (1, "done"),
    "set_password": lambda r, a: (
        r is None and a.login("bob", "another password")[0].member == "bob"
    ),
    "has_password": lambda r, a: r is True,
    "login": lambda r, a: r[0].member == "bob" and a.session_member(r[1]).handle == "bob",
    "session_member": lambda r, a: r is None,  # no such session
    "logout": lambda r, a: r is False,  # no such session
    "request_password_reset": lambda r, a: (
        r is None and [i.kind for i in a.outbox(acting="ada")][-2:] == ["password-reset"] * 2
    ),
    "reset_password": lambda r, a: (
        r[0].member == "ada"
        and a.session_member(r[1]).handle == "ada"
        and a.tokens(acting="ada") == []  # the password change revoked token 1
    ),
    "invite_member": lambda r, a: (
        (r.handle, r.address, r.verified) == ("eve", "eve@example.org", True)
        and not a.has_password("eve")
    ),
    "resend_invitation": lambda r, a: (
        r.handle == "ivy" and [i.kind for i in a.outbox(acting="ada")].count("invitation") == 2
    ),
    "revoke_invitation": lambda r, a: r is None and a.invitations(acting="ada") == [],
    "invitations": lambda r, a: [i.handle for i in r] == ["ivy"],
    "accept_invitation": lambda r, a: (
        r[0].member == "ivy"
        and a.session_member(r[1]).handle == "ivy"
        and a.invitations(acting="ada") == []
    ),
    "change_email": lambda r, a: (
        r.address == "bob@example.org" and a.pending_email("bob", acting="bob") == r
    ),
    "pending_email": lambda r, a: r is not None and r.address == "ada@new.example.org",
    "confirm_email": lambda r, a: (
        r.email == "ada@new.example.org" and a.pending_email("ada", acting="ada") is None
    ),
    "set_signup": lambda r, a: r == "open" and a.signup() == "open",
    "sign_up": lambda r, a: r[0].member == "sue" and a.member("sue").verified is False,
    "create_token": lambda r, a: (
        (r[0].id, r[0].member, r[0].name) == (2, "bob", "laptop")
        and a.token_member(r[1]).handle == "bob"
    ),
    "tokens": lambda r, a: [t.id for t in r] == [1],
    "revoke_token": lambda r, a: r.id == 1 and r.revoked_at is not None,
    "token_member": lambda r, a: r is None,  # no such token
    "create_feed": lambda r, a: (
        (r[0].id, r[0].machine, r[0].format, r[0].name) == (2, "tractor", "json", "phone")
        and a.feed_by_secret(r[1]) is not None
    ),
    "feed_tokens": lambda r, a: [f.id for f in r] == [1],
    "revoke_feed": lambda r, a: r.id == 1 and r.revoked_at is not None,
    "feed_by_secret": lambda r, a: r is None,  # no such feed
    "maintenance": lambda r, a: [m.id for m in r] == [1],
    "import_rentals": lambda r, a: (r.imported, r.skipped, r.problems) == (1, 0, ()),
    "import_maintenance": lambda r, a: (r.imported, r.skipped, r.problems) == (1, 0, ()),
    "feed_items": lambda r, a: {x.id for x in r[0]} == {1},
    "events": lambda r, a: (
        {e["id"] for e in r} >= {"maintenance-1"}
        and any(e["extendedProps"].get("rentalId") == 1 for e in r)
    ),
    "ical": lambda r, a: r.startswith(b"BEGIN:VCALENDAR") and r.count(b"BEGIN:VEVENT") == 2,
    "notifications": lambda r, a: (
        [n.rental_id for n in r] == [2] and a.notifications("bob", unread_only=True) == []
    ),
    "mark_read": lambda r, a: r == 1,
    "deliver_mail": lambda r, a: (
        (r.sent, r.retrying, r.failed) == (1, 0, 0)
        and 1 not in [i.id for i in a.outbox(acting="ada")]
    ),
    "outbox": lambda r, a: (
        r
        and {(i.address, i.status) for i in r}
        == {
            ("ada@example.org", "queued"),
            ("ivy@example.org", "queued"),
            ("ada@new.example.org", "queued"),
        }
    ),
    "retry_mail": lambda r, a: (r.id, r.status) == (1, "queued"),
    "discard_mail": lambda r, a: (
        (r.id, r.status) == (1, "discarded") and 1 not in [i.id for i in a.outbox(acting="ada")]
    ),
    "recent_mail": lambda r, a: (
        r.total == len(a.outbox(acting="ada")) > 0
        and [i.id for i in r.items] == sorted((i.id for i in r.items), reverse=True)
    ),
    "mail_choices": lambda r, a: {c.choice for c in r} == {"email"},
    "set_mail_choices": lambda r, a: (
        {c.kind for c in r if c.choice == "in-app"} == {"approved"}
        and a.mail_choices("bob", acting="bob") == r
    ),
    "today": lambda r, a: r == TODAY,
    # seconds dropped, zeros not stored
    "add_usage": lambda r, a: (
        r is None
        and a.usage(datetime(2030, 1, 9, 12, tzinfo=UTC))
        == {datetime(2030, 1, 9, 12, tzinfo=UTC): {"check:2": 1, "requests": 3}}
    ),
    "usage": lambda r, a: r == {},
    "utilisation": lambda r, a: r.months == (date(2029, 12, 1), d(1)) and r.total.booked_days > 0,
}


class TestTable:
    """The table covers the whole public API, and each row is refused as it says."""

    def test_every_public_method_and_parameter_has_a_row(self) -> None:
        covered = {(method, param) for method, param, _ in TABLE}
        missing = []
        for name, fn in public_methods().items():
            params = parameters(fn)
            if not params:
                assert name in NO_PARAMETERS, f"Rentcal.{name}: add it to NO_PARAMETERS"
            missing += [f"Rentcal.{name}({p})" for p in params if (name, p) not in covered]
        missing += [
            f"connect({p})" for p in parameters(rentcal.connect) if ("connect", p) not in covered
        ]
        assert not missing, f"add rows to TABLE for: {', '.join(missing)}"

    def test_no_row_names_a_parameter_that_does_not_exist(self) -> None:
        methods = {**public_methods(), "connect": rentcal.connect}
        for method, param, _ in TABLE:
            assert param in parameters(methods[method]), (method, param)
        assert set(GOOD) == {name for name, fn in methods.items() if parameters(fn)}

    @BOTH  # the calls write and read: statements the backends may answer differently
    @pytest.mark.parametrize("method", sorted(GOOD))
    def test_the_good_call_works(self, api: rentcal.Rentcal, db_url: str, method: str) -> None:
        """So a refused row is refused for its one bad argument, nothing else."""
        PREPARE.get(method, lambda _api: None)(api)
        result = call(api, db_url, method, GOOD[method])
        assert EXPECT[method](result, api), result

    @pytest.mark.parametrize(("method", "param", "value", "error"), list(_rows(False)))
    def test_bad_argument_is_refused(
        self,
        refusing_api: tuple[rentcal.Rentcal, str],
        method: str,
        param: str,
        value: Any,
        error: type[Exception],
    ) -> None:
        # Refused before any statement: without a transaction nothing can have
        # been written, so one database serves every such row (see refusing_api).
        api, url = refusing_api
        refused(api, url, method, param, value, error, in_transaction=False)

    @BOTH  # refused inside a transaction: the backends may answer differently
    @pytest.mark.parametrize(("method", "param", "value", "error"), list(_rows(True)))
    def test_bad_argument_in_a_transaction_is_refused(
        self,
        api: rentcal.Rentcal,
        db_url: str,
        method: str,
        param: str,
        value: Any,
        error: type[Exception],
    ) -> None:
        before = every_table(api)
        refused(api, db_url, method, param, value, error, in_transaction=True)
        assert every_table(api) == before


def refused(
    api: rentcal.Rentcal,
    url: str,
    method: str,
    param: str,
    value: Any,
    error: type[Exception],
    *,
    in_transaction: bool,
) -> None:
    """Call ``method`` with ``value`` for ``param``: refused with ``error`` naming
    ``param``, inside a transaction or before any (IN_A_TRANSACTION lists which)."""
    begun: list[object] = []

    def count(conn: object) -> None:
        begun.append(conn)

    sa.event.listen(sa.Engine, "begin", count)  # any engine: connect() makes its own
    try:
        with pytest.raises(Exception) as info:
            call(api, url, method, {**GOOD[method], param: value})
    finally:
        sa.event.remove(sa.Engine, "begin", count)
    assert bool(begun) is in_transaction, (len(begun), "see IN_A_TRANSACTION")
    err = info.value
    assert type(err) is error, (type(err), err)
    assert isinstance(err, InvalidRequest)
    assert isinstance(err, TypeError) is (error is WRONG)
    message = str(err)
    assert param in message or param.replace("_", " ") in message, message
    assert err.field == param, (err.field, message)
    assert type(err).__module__ == "rentcal.errors"


class TestNoCoercion:
    """The examples of the issue, spelled out: nothing is taken for what it is not."""

    def test_no_is_not_admin(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(TypeError, match="admin must be True or False, not str 'no'"):
            seeded.add_member("eve", admin="no", acting="ada")  # type: ignore[arg-type]
        assert [m.handle for m in seeded.members()] == ["ada", "bob", "carol", "dan"]

    @pytest.mark.parametrize("value", [20300110, "2030-01-10"], ids=["int", "str"])
    def test_a_date_filter_is_a_date(self, seeded: rentcal.Rentcal, value: object) -> None:
        seeded.book("tractor", d(10), d(12), member="bob", today=TODAY)
        with pytest.raises(ArgumentTypeError, match=r"start must be a datetime\.date") as info:
            seeded.rentals(start=value)  # type: ignore[arg-type]
        assert info.value.field == "start" and info.value.value == value

    def test_a_dict_is_not_an_import_row(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(ArgumentTypeError, match=r"rows\[1\] must be an ImportRow"):
            seeded.import_rentals([GOOD_ROW, {"machine": "tractor"}], acting="ada")  # type: ignore[list-item]
        assert seeded.rentals() == []

    def test_a_well_typed_value_still_means_what_it_says(self, seeded: rentcal.Rentcal) -> None:
        assert seeded.add_member("eve", admin=False, acting="ada").is_admin is False
        assert seeded.rentals(start=date(2030, 1, 1)) == []
        assert seeded.rentals(status=RentalStatus.PENDING) == []
