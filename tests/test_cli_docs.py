"""Every example in docs/cli.md and in the commands' help runs as documented.

docs/cli.md: each ```console block is a shell session, run in order in a fresh
directory holding a copy of the demo database (``RENTCAL_DATABASE_URL=demo.db``,
``RENTCAL_USER=ada``, ``RENTCAL_TODAY=2030-01-09``). A session that starts with
``rentcal demo`` starts from an empty directory; one that starts with
``rentcal init`` also from the default database location. In a block:

* ``$ rentcal ...`` is run; a trailing ``# exit N`` gives its exit code (else 0);
* the lines under it (until the next ``$``) are what its output must contain,
  in order; ``...`` stands for any text, a line of only ``...`` for lines left
  out, and runs of spaces count as one (table widths follow the data);
* ``$ cat FILE`` writes the lines under it into FILE when FILE does not exist
  yet (an input the next commands read), else FILE must contain them;
* ``$ export NAME=VALUE ...`` sets variables for the rest of the block;
* ``< FILE`` feeds FILE to stdin; ``>``, ``|`` and what follows are not run:
  the command's own output is what is checked.

Help epilogs live in rentcal/cli/*.py; their examples are checked against
HELP_EXPECTED below, which must have one entry per example.
"""

from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner, Result

from rentcal.cli.app import app
from tests.conftest import TODAY, _pg_schema_url

DOCS = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
SHELL_OPERATORS = {"|", ">", ">>", "&&", "||", ";"}
EXIT_MARK = re.compile(r"\s+#\s*exit\s+(\d+)\s*$")
BASE_ENV: dict[str, str | None] = {
    "RENTCAL_TODAY": TODAY.isoformat(),
    "RENTCAL_USER": "ada",
    "RENTCAL_DATABASE_URL": "demo.db",
    "RENTCAL_DEBUG": None,
    "NO_COLOR": None,
    "XDG_DATA_HOME": None,
}
#: The documented PostgreSQL URL, replaced by the test server's when it is set.
DOCUMENTED_PG = "postgresql://rentcal@db.example.org/rentcal"
#: Files the help examples read, written into each help example's directory.
SAMPLE_FILES = {
    "rentals.csv": "machine,member,start,end,status,purpose\n"
    "tractor-6120,ada,2020-01-01,2020-01-02,completed,old harvest\n",
    "holidays.ics": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//example//EN\r\n"
    "BEGIN:VEVENT\r\nUID:1\r\nSUMMARY:Christmas\r\nDTSTART;VALUE=DATE:20311224\r\n"
    "DTEND;VALUE=DATE:20311227\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    "requests.ndjson": '{"machine": "saw", "start": "+20d", "end": "+21d"}\n',
    "new-password.txt": "correct horse battery staple\n",
    "rentcal.toml": 'timezone = "Europe/Berlin"\n[server]\nport = 8080\n',
}

#: Every example of every command's --help: (exit code, text its output must
#: contain). A new help example fails test_every_help_example_is_annotated
#: until it is added here. Run on a fresh copy of the demo database, as ada.
HELP_EXPECTED: dict[str, tuple[int, str]] = {
    "rentcal --as ada member passwd bob --password-stdin < new-password.txt": (
        0,
        "Password set for bob.",
    ),
    "rentcal --as bob statement --month 2030-01": (
        0,
        "Statement of Bob Baker (bob), January 2030",
    ),
    "rentcal statement --member bob --year 2030 --json": (0, '"period": "2030"'),
    "rentcal statement --member bob --month last --csv": (0, "id,charged_on,charged_at,member,"),
    "rentcal charges list --month 2030-01": (0, "Total: 480.00"),
    "rentcal charges list --year 2030 --member bob --json": (0, '"kind": "use"'),
    "rentcal charges export --month 2030-01 -o charges-2030-01.csv": (
        0,
        "1,2030-01-09,2030-01-09T",
    ),
    "rentcal charges export --year 2030 > charges-2030.csv": (0, ",use,1,tractor-6120,"),
    "rentcal charge add --member bob --amount -10.00 --reason 'fuel he paid for'": (
        0,
        "Credited bob 10.00 (charge 2): fuel he paid for",
    ),
    "rentcal --as ada charge add --member bob --amount 25 --reason 'cleaning' --rental 1 --json": (
        0,
        '"kind": "correction"',
    ),
    "rentcal cancellation show": (0, "policy     cancelling is always free"),
    "rentcal cancellation show --history --json": (0, '"history": []'),
    "rentcal cancellation set --free-days 7 --fee 25": (
        0,
        "free until 7 days before the start, then a fee of 25.00",
    ),
    "rentcal --as ada cancellation set --free-days 14 --share 50 --json": (0, '"share": "50.00"'),
    "rentcal cancellation set --off": (0, "cancelling is always free"),
    "rentcal online-payments show": (0, "online payments  off"),
    "rentcal online-payments show --history --json": (0, '"history": []'),
    # The demo database has no currency: Stripe charges in one (docs/cli.md sets EUR first).
    "rentcal online-payments set --at-booking --hold-minutes 30 --invoices": (
        2,
        "set the organisation's currency first",
    ),
    "rentcal online-payments set --at-booking --hold-minutes 30": (2, "currency first"),
    "rentcal --as ada online-payments set --invoices --json": (2, "currency first"),
    "rentcal online-payments set --no-at-booking": (0, "online payments  off"),
    "rentcal online-payments set --off": (0, "online payments  off"),
    "rentcal --as ada machine add harvester --price 200 --unit-price 35 --minimum-charge 150": (
        0,
        "unit price    35.00",
    ),
    "rentcal --as ada machine edit tractor-6120 --unit-price 2.50 --clear-minimum-charge": (
        0,
        "unit_price: (none) -> 2.50",
    ),
    "rentcal token create --name backup-script": (0, "Token 1 acts as ada"),
    "rentcal --as ada token create --for bob --name bobs-laptop --json": (0, '"member": "bob"'),
    "rentcal token list": (0, "No API tokens."),
    "rentcal token list --all --json": (0, "[]"),
    "rentcal token create --name old && rentcal token revoke 1": (0, "Token 1 acts as ada"),
    "rentcal --as bob feed create": (0, "Feed 1 shows bob's rentals."),
    "rentcal --as bob feed create --name phone": (0, "http://127.0.0.1:8000/feeds/"),
    "rentcal feed create --all --format json --json": (0, '"scope": "all"'),
    "rentcal feed create --machine tractor-6120 --base-url https://rentcal.example.org": (
        0,
        "https://rentcal.example.org/feeds/",
    ),
    "rentcal feed create --name old && rentcal feed revoke 1": (0, "Feed 1 shows ada's rentals."),
    "rentcal feed list": (0, "No feed URLs."),
    "rentcal feed list --all --json": (0, "[]"),
    "rentcal serve": (0, "Serving sqlite:///demo.db on http://127.0.0.1:8000/ (1 worker)"),
    "rentcal serve --port 8080 --workers 2 --pool-size 10 --metrics": (
        0,
        "on http://127.0.0.1:8080/ (2 workers)",
    ),
    "rentcal serve --base-url https://rentcal.example.org --root-path /rentcal --proxy-headers": (
        0,
        "on http://127.0.0.1:8000/rentcal/ (1 worker)",
    ),
    "rentcal serve --max-connections 900 --max-streams-per-member 4 --header-timeout 5": (
        0,
        "Serving sqlite:///demo.db on http://127.0.0.1:8000/ (1 worker)",
    ),
    "rentcal serve --host 0.0.0.0 --allowed-host rentcal.lan --allowed-host 192.168.1.5": (
        0,
        "on http://0.0.0.0:8000/ (1 worker)",
    ),
    "rentcal backup rentcal-backup.db": (0, "Backed up sqlite:///demo.db to rentcal-backup.db"),
    "RENTCAL_DATABASE_URL=/srv/rentcal/rentcal.db rentcal backup /srv/backup/rentcal.db": (
        4,
        "no rentcal database at /srv/rentcal/rentcal.db: the file does not exist",
    ),
    "rentcal db check": (0, "integrity    ok        SQLite integrity_check: ok"),
    "rentcal db check --json": (0, '"ok": true'),
    "rentcal config show": (0, "server.port                    8000"),
    "rentcal --config rentcal.toml config show --json": (0, '"source": "file"'),
    "rentcal timezone show": (0, "today     2030-01-09"),
    "rentcal timezone show --json": (0, '"today": "2030-01-09"'),
    "rentcal timezone set Europe/Berlin": (0, "timezone  Europe/Berlin"),
    "rentcal --as ada timezone set America/New_York --json": (
        0,
        '"timezone": "America/New_York"',
    ),
    "rentcal mail list": (0, "Bob Baker asked to book Tractor 6120 for Sun 30 Dec 2029"),
    "rentcal mail send  # e.g. */5 * * * * from cron": (2, "no SMTP server is configured"),
    "rentcal mail send --smtp-url smtps://rentcal:secret@mail.example.org --json": (
        2,
        "no From address is configured",
    ),
    "rentcal mail list --failed --json": (0, "[]"),
    "rentcal --as ada mail retry 1": (0, "Mail 1 to ada@example.org will be sent"),
    "rentcal --as ada mail discard 2": (0, "Mail 2 to bob@example.org discarded."),
    "rentcal mail test ada@example.org": (2, "no SMTP server is configured"),
    "rentcal limits show": (0, "max days      90"),
    "rentcal limits show --history --json": (0, '"history": []'),
    "rentcal limits set --max-days 60 --horizon-days 365": (0, "horizon days  365"),
    "rentcal --as ada limits set --horizon-days 1095 --json": (0, '"horizon_days": 1095'),
    "rentcal db status": (0, "current   0018_online_payments"),
    "rentcal reminders show": (0, "reminder hour  17:00"),
    "rentcal reminders show --history --json": (0, '"history": []'),
    "rentcal reminders set 8": (0, "reminder hour  08:00"),
    "rentcal reminders set off": (0, "reminder hour  off"),
    "rentcal signup show": (0, "signup  off"),
    "rentcal signup show --history --json": (0, '"history": []'),
    "rentcal signup set open": (0, "signup  open"),
    "rentcal --as ada signup set off --json": (0, '"signup": "off"'),
    "rentcal --as ada reminders set off --json": (0, '"enabled": false'),
    "rentcal currency show": (0, "prices read  120.00"),
    "rentcal currency show --history --json": (0, '"history": []'),
    "rentcal currency set EUR": (0, "prices read  €120.00"),
    "rentcal currency set none": (0, "currency     none"),
    "rentcal --as ada currency set none --json": (0, '"currency": null'),
    "rentcal invoice settings show": (0, "no: set the organisation's name"),
    "rentcal invoice settings show --json": (0, '"missing": ['),
    "rentcal invoice settings set --name 'Maschinenring Süd eG' --country DE --vat-rate 19": (
        0,
        "19 %",
    ),
    "rentcal invoice settings set --line 'Hauptstraße 1' --postcode 80331 --city München"
    " --vat-id DE136500006 --iban 'DE89 3704 0044 0532 0130 00' --bic COBADEFFXXX": (
        0,
        "DE89370400440532013000",
    ),
    "rentcal invoice settings set --vat-rate none --vat-note 'Kein Ausweis von"
    " Umsatzsteuer gemäß § 19 UStG' --terms-days 30 --reminder-days 21,35 --json": (
        0,
        '"terms_days": 30',
    ),
    "rentcal invoice address bob": (0, "country   - (the organisation's)"),
    "rentcal invoice address bob --line 'Feldweg 7' --postcode 85354 --city Freising"
    " --country DE": (0, "city      Freising"),
    "rentcal --as bob invoice address bob --name 'Hof Baker GbR' --country DE --json": (
        0,
        '"name": "Hof Baker GbR"',
    ),
    "rentcal invoice issue --month 2030-01": (2, "month 2030-01 is not over on 2030-01-09"),
    "rentcal invoice issue --month 2029-12 --member bob --json": (
        2,
        "invoices cannot be issued yet: set the organisation's name",
    ),
    "rentcal invoice list --open": (0, "No invoices."),
    "rentcal invoice list --member bob --json": (0, "[]"),
    "rentcal invoice list --csv": (0, "number,kind,member,issue_date"),
    "rentcal invoice show 2030-000001": (2, "no invoice numbered '2030-000001'"),
    "rentcal invoice show 2030-000001 --json": (2, "no invoice numbered '2030-000001'"),
    "rentcal invoice pdf 2030-000001 --output 2030-000001.pdf": (2, "no invoice numbered"),
    "rentcal invoice credit 2030-000001 --reason 'Tractor broke down on day 2'": (
        2,
        "no invoice numbered",
    ),
    "rentcal invoice credit 2030-000001 --reason 'Goodwill' --amount 20.00 --json": (
        2,
        "no invoice numbered",
    ),
    "rentcal payment add --member bob --amount 120.00 --method transfer --reference 'RE 1'": (
        0,
        "120.00    transfer  RE 1",
    ),
    "rentcal payment add --member bob --amount 50 --method cash --invoice 2030-000002": (
        2,
        "invoice '2030-000002' has nothing open to allocate to",
    ),
    "rentcal payment add --member bob --amount -23.80 --method transfer"
    " --reason 'Credit note 2030-000003 paid back' --json": (0, '"amount": "-23.80"'),
    "rentcal payment list": (0, "No payments."),
    "rentcal payment list --member bob": (0, "No payments."),
    "rentcal payment list --member bob --json": (0, "[]"),
    "rentcal --as bob balance": (0, "Balance of bob: 0.00"),
    "rentcal balance --member bob --json": (0, '"balance": "0.00"'),
    "rentcal db status --json": (0, '"pending": []'),
    "rentcal db upgrade": (0, "is at 0018_online_payments: nothing to upgrade."),
    "rentcal db upgrade --sql > upgrade.sql": (0, "nothing to upgrade"),
    f"rentcal --db {DOCUMENTED_PG} db upgrade --sql > upgrade.sql": (0, "CREATE TABLE"),
    "rentcal init --admin ada --name 'Ada Admin' --email ada@example.org": (
        0,
        "with admin ada.",
    ),
    f"rentcal --db {DOCUMENTED_PG} init --admin ada": (0, "with admin ada."),
    "rentcal demo --db demo.db": (0, "Demo database ready: sqlite:///demo.db"),
    "RENTCAL_DATABASE_URL=demo.db RENTCAL_USER=ada rentcal calendar": (
        0,
        "tractor-6120  . . . . . . . . . . # # #",
    ),
    "rentcal --as ada machine add mower --price 40": (0, "Added machine mower."),
    "rentcal --as ada machine add mower --price 40 --title 'Ride-on mower'": (
        0,
        "title         Ride-on mower",
    ),
    "rentcal --as ada machine add drill --price 7.50 --auto-approve --json": (
        0,
        '"auto_approve": true',
    ),
    "rentcal --as ada machine add baler --price 90 --request-policy queue --request-expiry 2d": (
        0,
        "requests      queue",
    ),
    "rentcal machine list": (0, "tractor-6120  Tractor 6120    120.00"),
    "rentcal machine list --json": (0, '"name": "excavator"'),
    "rentcal machine show tractor-6120": (0, "upcoming rentals:"),
    "rentcal machine show tractor-6120 --json": (0, '"upcoming_maintenance": ['),
    "rentcal --as ada machine retire tractor-6120": (0, "Retired machine tractor-6120."),
    "rentcal --as ada machine edit tractor-6120 --price 130 --title 'Tractor 6120 S'": (
        0,
        "daily_price: 120.00 -> 130.00",
    ),
    "rentcal --as ada machine edit saw --no-auto-approve --clear-description --json": (
        0,
        '"auto_approve": false',
    ),
    "rentcal --as ada machine edit excavator --request-policy queue --request-expiry 48h": (
        0,
        "request_policy: block -> queue",
    ),
    "rentcal --as ada machine edit tractor-6120 --meter hours": (0, "meter_unit: (none) -> hours"),
    "rentcal --as ada checkout 4": (0, "Checked out rental 4."),
    "rentcal --as ada checkout 4 --notes 'blade checked' --json": (0, '"kind": "out"'),
    "rentcal --as ada machine edit saw --meter hours "
    "&& rentcal --as ada checkout 4 --meter 1234.5": (0, "meter_unit: (none) -> hours"),
    "rentcal --as ada checkout 4 && rentcal --as ada checkin 4": (0, "Checked out rental 4."),
    "rentcal --as ada checkout 4 && rentcal --as ada checkin 4 --condition needs-attention "
    "--notes 'loose belt'": (0, "Checked out rental 4."),
    "rentcal --as ada checkout 4 && rentcal --as ada checkin 4 --condition damaged "
    "--repair-until +3d --json": (0, "Checked out rental 4."),
    "rentcal --as ada machine keeper add tractor-6120 bob": (0, "bob now keeps tractor-6120."),
    "rentcal --as ada machine keeper add tractor-6120 bob --json": (
        0,
        '"machine": "tractor-6120"',
    ),
    "rentcal --as ada machine keeper add saw carol "
    "&& rentcal --as ada machine keeper remove saw carol": (0, "carol now keeps saw."),
    "rentcal machine keeper list tractor-6120": (0, "none (only admins hand it over)"),
    "rentcal machine keeper list saw --json": (0, '"keepers": []'),
    "rentcal machine readings tractor-6120": (0, "No readings yet"),
    "rentcal machine readings saw --json": (0, "[]"),
    "rentcal no-show show": (0, "no-show after  off"),
    "rentcal no-show show --history --json": (0, '"history": []'),
    "rentcal --as ada no-show set 24": (0, "no-show after  24 hours"),
    "rentcal --as ada no-show set off": (0, "no-show after  off"),
    "rentcal --as ada machine retire saw && rentcal --as ada machine reactivate saw": (
        0,
        "Retired machine saw.",
    ),
    "rentcal member show bob": (0, "history:"),
    "rentcal member show bob --json": (0, '"history": []'),
    "rentcal --as ada member edit bob --name 'Bob Builder' --email bob@example.org": (
        0,
        "name: Bob Baker -> Bob Builder",
    ),
    "rentcal --as bob member edit bob --clear-email": (0, "email: bob@example.org -> (none)"),
    "rentcal --as ada member role bob admin": (0, "role: member -> admin"),
    "rentcal --as ada member role ada member": (2, "'ada' is the last admin"),
    "rentcal --as ada member deactivate carol": (0, "Deactivated member carol."),
    "rentcal --as ada member deactivate carol && rentcal --as ada member reactivate carol": (
        0,
        "Deactivated member carol.",
    ),
    "rentcal --as ada maintenance edit 3 --start 2030-02-05 --days 2": (
        0,
        "start_date: 2030-02-08 -> 2030-02-05",
    ),
    "rentcal --as ada maintenance edit 3 --kind inspection --clear-notes --json": (
        0,
        '"kind": "inspection"',
    ),
    "rentcal --as ada member add eve --verified": (0, "Added member eve."),
    "rentcal --as ada member invite eve --email eve@example.org --name 'Eve Example'": (
        0,
        "Invited member eve; the link is in the mail outbox.",
    ),
    "rentcal --as ada member invite zed --email zed@example.org --verified --json": (
        0,
        '"verified": true',
    ),
    "rentcal --as ada member invite eve --email eve@example.org"
    " && rentcal --as ada member reinvite eve": (0, "Invited member eve"),
    "rentcal --as ada member invite eve --email eve@example.org"
    " && rentcal --as ada member uninvite eve": (0, "Invited member eve"),
    "rentcal --as ada member invitations": (0, "No open invitations."),
    "rentcal --as ada member invitations --json": (0, "[]"),
    "rentcal --as ada member add eve --name 'Eve Example' --email eve@example.org --verified": (
        0,
        "name      Eve Example",
    ),
    "rentcal --as ada member add zed --admin --json": (0, '"role": "admin"'),
    "rentcal --as ada member verify carol": (0, "Member carol is verified."),
    "rentcal --as bob member notifications bob": (0, "approved         email     A booking"),
    "rentcal --as bob member notifications bob --in-app approved --in-app moved": (
        0,
        "Saved 2 choices.",
    ),
    "rentcal --as ada member notifications ada --digest --json": (0, '"choice": "digest"'),
    "rentcal member list": (0, "dan       Dan Newcomer"),
    "rentcal member list --json": (0, '"handle": "dan"'),
    "rentcal check tractor-6120 2030-01-15 2030-01-20": (
        1,
        "NOT available: tractor-6120 is not available 2030-01-15..2030-01-20",
    ),
    "rentcal check tractor-6120 fri --days 3 --json && echo free": (1, '"available": false'),
    "rentcal check --batch < requests.ndjson > answers.ndjson": (
        0,
        '{"available": true, "machine": "saw", "start": "2030-01-29", "end": "2030-01-30"',
    ),
    "rentcal free tractor-6120": (0, "2030-01-09  2030-01-10  2"),
    "rentcal free tractor-6120 --from 2030-02-01 --to 2030-03-31 --days 5 --json": (
        0,
        '"end": "2030-02-07"',
    ),
    "rentcal book tractor-6120 2030-01-15 2030-01-20 --purpose 'hay harvest'": (
        1,
        "Error: tractor-6120 is not available 2030-01-15..2030-01-20",
    ),
    "rentcal book saw tomorrow --days 3 --json": (
        1,
        '"error": "saw is not available 2030-01-10..2030-01-12',
    ),
    "rentcal --as ada book tractor-6120 fri +10d --for bob": (
        1,
        "Error: tractor-6120 is not available 2030-01-11..2030-01-19",
    ),
    "rentcal rentals --machine tractor-6120 --from today": (0, "Fri 11 Jan 2030  Sun 13 Jan 2030"),
    "rentcal rentals --status pending --status approved --json": (0, '"status": "approved"'),
    "rentcal show 7": (0, "purpose     drainage ditch"),
    "rentcal show 7 --json": (0, '"id": 7,'),
    "rentcal --as ada approve 7": (0, "Approved rental 7."),
    "rentcal --as ada reject 7 --reason 'machine in repair'": (0, "Rejected rental 7."),
    "rentcal cancel 7": (0, "Cancelled rental 7."),
    "rentcal --as ada cancel 7 --reason 'rain'": (0, "reason      rain"),
    "rentcal --as ada complete 4": (0, "Completed rental 4."),
    "rentcal housekeeping": (
        0,
        "Housekeeping: 0 requests expired, 0 rentals completed, 0 reminders queued.",
    ),
    "rentcal housekeeping --json  # e.g. hourly from cron": (0, '"expired": 0'),
    "rentcal --as carol move 3 --start 2030-01-20": (
        0,
        "Moved rental 3 from tractor-6120 Wed 16 – Fri 18 Jan 2030",
    ),
    "rentcal --as ada move 2 --days 4 --machine excavator --json": (0, '"machine": "excavator"'),
    "rentcal --as ada maintenance add tractor-6120 +7d --days 2 --kind inspection": (
        1,
        "rental 3 (pending) 2030-01-16..2030-01-18",
    ),
    "rentcal --as ada maintenance add tractor-6120 2030-02-03 2030-02-04 --kind repair": (
        0,
        "Scheduled maintenance 5.",
    ),
    "rentcal --as ada maintenance done 4": (0, "Maintenance 4 done."),
    "rentcal --as ada maintenance done 4 --json": (0, '"status": "done"'),
    "rentcal --as ada maintenance add saw mon --days 2 --notes 'new blade' --force": (
        0,
        "notes        new blade",
    ),
    "rentcal maintenance list --machine tractor-6120": (
        0,
        "Fri 8 Feb 2030  Sat 9 Feb 2030  repair",
    ),
    "rentcal maintenance list --json": (0, '"notes": "blade guard check"'),
    "rentcal --as ada maintenance cancel 3": (0, "Cancelled maintenance 3."),
    "rentcal calendar": (0, "saw           . . . . . M M . # # . M"),
    "rentcal calendar tractor-6120 --month 2030-02": (0, "February 2030 - tractor-6120"),
    "rentcal calendar --month next --json": (0, '"month": "2030-02"'),
    "rentcal report utilisation --month 2030-01": (0, "tractor-6120  5         31          16.1 %"),
    "rentcal report utilisation --month last --months 3 --json": (0, '"months": [\n    "2029-10"'),
    "rentcal notifications --unread": (0, "Bob Baker asked to book Tractor 6120"),
    "rentcal --as bob notifications --mark-read --json": (0, "Marked 5 notifications read."),
    "rentcal events --from today --to +30d": (0, "Band saw — Rented by Carol Carter"),
    "rentcal events --machine tractor-6120 --json": (0, '"id": "rental-2"'),
    # -o FILE: the text is looked for in FILE (here published.ics, not /var/www)
    "rentcal events --ics -o /var/www/html/rentcal.ics": (0, "SUMMARY:Band saw — Rented by"),
    "rentcal events --member bob --all-statuses --ics --private > bob.ics": (
        0,
        "SUMMARY:Mini excavator — Rejected: Bob Baker",
    ),
    "rentcal events --resources --json": (0, '"title": "Mini excavator"'),
    "rentcal events --legend": (0, "Maintenance done: <Kind>"),
    "rentcal --as ada import rentals.csv": (0, "imported 1 row, skipped 0"),
    "rentcal --as ada import rentals.csv --skip-invalid --json": (0, '"imported": 1,'),
    "rentcal --as ada import holidays.ics --machine tractor-6120 --as-maintenance": (
        0,
        "imported 1 row, skipped 0",
    ),
}


# --------------------------------------------------------------------------- parsing


@dataclass
class Step:
    """One ``$`` line of a docs block and the lines shown under it."""

    line: int
    command: str
    exit_code: int = 0
    shown: list[str] = field(default_factory=list)

    @property
    def words(self) -> list[str]:
        return shlex.split(self.command, comments=True)


@dataclass
class Block:
    """A ```console block of docs/cli.md: one shell session."""

    line: int
    steps: list[Step]

    @property
    def runs(self) -> list[Step]:
        return [s for s in self.steps if s.words[0] == "rentcal"]


def docs_blocks(text: str) -> list[Block]:
    """The ```console blocks of ``text`` that hold at least one ``$`` line."""
    blocks: list[Block] = []
    current: Block | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if current is None:
            if raw.strip() == "```console":
                current = Block(number, [])
            continue
        if raw.strip() == "```":
            if current.steps:
                blocks.append(current)
            current = None
        elif raw.startswith("$ "):
            command = raw[2:]
            mark = EXIT_MARK.search(command)
            code = int(mark.group(1)) if mark else 0
            current.steps.append(Step(number, command, code))
        elif current.steps:
            current.steps[-1].shown.append(raw)
    return blocks


def help_examples() -> list[str]:
    """The example lines of every --help epilog (``rentcal ...``, maybe after VAR=value)."""
    found: list[str] = []

    def walk(command: object) -> None:
        epilog = getattr(command, "epilog", None) or ""
        found.extend(re.findall(r"^\s+((?:[A-Z_]+=\S*\s+)*rentcal\s.*)$", epilog, re.M))
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(typer.main.get_command(app))
    return found


@dataclass
class Invocation:
    """A command line split into what the test runs."""

    env: dict[str, str]
    argv: list[str]
    stdin: str | None = None


def parse_command(line: str) -> Invocation:
    """``[VAR=value...] rentcal ARGS [< FILE] [> FILE | ...]`` -> what to run."""
    words = shlex.split(line, comments=True)
    env: dict[str, str] = {}
    while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    assert words[:1] == ["rentcal"], f"not a rentcal command: {line!r}"
    words = words[1:]
    for index, word in enumerate(words):
        if word in SHELL_OPERATORS:
            words = words[:index]
            break
    stdin = None
    if "<" in words:
        at = words.index("<")
        stdin = words[at + 1]
        words = words[:at] + words[at + 2 :]
    return Invocation(env, words, stdin)


def _normal(line: str) -> str:
    return " ".join(line.split())


def missing_lines(shown: list[str], output: str) -> list[str]:
    """The shown lines (``...`` = anything) not found, in order, in ``output``."""
    produced = [_normal(line) for line in output.splitlines() if line.strip()]
    at = 0
    missing: list[str] = []
    for want in (_normal(line) for line in shown):
        if not want or want == "...":
            continue
        pattern = re.compile(".*".join(re.escape(part) for part in want.split("...")))
        for index in range(at, len(produced)):
            if pattern.fullmatch(produced[index]):
                at = index + 1
                break
        else:
            missing.append(want)
    return missing


# --------------------------------------------------------------------------- running


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database, built once per test session; examples run on copies."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    # the organisation's zone is stored with its first admin: UTC, whatever this host's is
    env = {**BASE_ENV, "RENTCAL_DATABASE_URL": None, "RENTCAL_TIMEZONE": "UTC"}
    result = CliRunner().invoke(app, ["--db", str(path), "demo"], env=env)
    assert result.exit_code == 0, result.output
    assert not path.with_name("demo.db-wal").exists(), "the demo left a WAL file"
    return path


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An example's working directory, also its HOME (for --install-completion)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    # the completion example names the user's shell: pin it, whoever runs the suite
    monkeypatch.setattr("typer._completion_shared._get_shell_name", lambda: "bash")
    yield tmp_path


def _starts_from_nothing(argv: list[str]) -> bool:
    return argv[:1] in (["demo"], ["init"])


def _prepare(workdir: Path, demo_db: Path, first: list[str]) -> dict[str, str | None]:
    """Copy the demo database in (unless the session starts from nothing)."""
    env = dict(BASE_ENV)
    if not _starts_from_nothing(first):
        shutil.copyfile(demo_db, workdir / "demo.db")
    if first[:1] == ["init"]:  # init's examples show the default location
        env.update(RENTCAL_DATABASE_URL=None, XDG_DATA_HOME=str(workdir / "xdg"))
    return env


def _invoke(call: Invocation, env: dict[str, str | None], workdir: Path) -> Result:
    stdin = (workdir / call.stdin).read_text(encoding="utf-8") if call.stdin else None
    return CliRunner().invoke(app, call.argv, env={**env, **call.env}, input=stdin)


# --------------------------------------------------------------------------- docs/cli.md


BLOCKS = docs_blocks(DOCS.read_text(encoding="utf-8"))


def test_docs_have_examples() -> None:
    everywhere = re.findall(r"^\$ rentcal ", DOCS.read_text(encoding="utf-8"), re.M)
    assert sum(len(b.runs) for b in BLOCKS) == len(everywhere) >= 45, "outside ```console?"
    assert all(b.runs for b in BLOCKS), [b.line for b in BLOCKS if not b.runs]


def test_every_docs_example_shows_its_output() -> None:
    """Each `$ rentcal` line shows output, or is followed by `$ cat` of what it wrote."""
    bare: list[str] = []
    for block in BLOCKS:
        for step, after in zip(block.steps, [*block.steps[1:], None], strict=True):
            if step.words[0] != "rentcal" or any(s.strip() for s in step.shown):
                continue
            if after is None or after.words[0] != "cat":
                bare.append(f"docs/cli.md:{step.line}: {step.command}")
    assert not bare, "examples showing no output:\n" + "\n".join(bare)


@pytest.mark.parametrize("block", BLOCKS, ids=[f"cli.md:{b.line}" for b in BLOCKS])
def test_docs_block_runs_as_shown(
    block: Block, workdir: Path, demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rentcal.web.server

    monkeypatch.setattr(rentcal.web.server, "launch", lambda *_args: None)  # no listening
    env = _prepare(workdir, demo_db, parse_command(block.runs[0].command).argv)
    for step in block.steps:
        where = f"docs/cli.md:{step.line}: {step.command}"
        words = step.words
        if words[0] == "export":
            env.update(word.partition("=")[::2] for word in words[1:])
        elif words[0] == "cat":
            target = workdir / words[1]
            if target.exists():
                text = target.read_text(encoding="utf-8")
                assert not missing_lines(step.shown, text), (where, text)
            else:
                target.write_text("".join(f"{s}\n" for s in step.shown), encoding="utf-8")
        else:
            assert words[0] == "rentcal", f"{where}: only rentcal, cat and export are run"
            result = _invoke(parse_command(step.command), env, workdir)
            assert result.exit_code == step.exit_code, (where, result.exit_code, result.output)
            missing = missing_lines(step.shown, result.output)
            assert not missing, f"{where}\nmissing: {missing}\noutput:\n{result.output}"
            assert "Traceback" not in result.output


def test_shown_lines_must_appear_in_order() -> None:
    """The matcher itself: order, '...' wildcards, spacing, a missing line."""
    output = "a  b\nx 1.5 y\n\nlast one\n"
    assert missing_lines(["a b", "...", "x ... y", "last ..."], output) == []
    assert missing_lines(["last one", "a b"], output) == ["a b"]
    assert missing_lines(["x 1.5"], output) == ["x 1.5"]  # whole lines, not parts
    assert missing_lines(["nowhere"], output) == ["nowhere"]


# --------------------------------------------------------------------------- --help


HELP = sorted(set(help_examples()))


def test_every_help_example_is_annotated() -> None:
    assert len(HELP) >= 30
    unannotated = sorted(set(HELP) - set(HELP_EXPECTED))
    stale = sorted(set(HELP_EXPECTED) - set(HELP))
    assert not unannotated, f"add these help examples to HELP_EXPECTED: {unannotated}"
    assert not stale, f"HELP_EXPECTED lists examples no --help shows: {stale}"


@pytest.mark.parametrize("line", HELP)
def test_help_example_runs(
    line: str,
    workdir: Path,
    demo_db: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, text = HELP_EXPECTED[line]
    if DOCUMENTED_PG in line:  # on the test server (skipped when there is none)
        url = _pg_schema_url(request.getfixturevalue("pg_database"))
        line = line.replace(DOCUMENTED_PG, shlex.quote(url))
    call = parse_command(line)
    env = _prepare(workdir, demo_db, call.argv)
    for name, content in SAMPLE_FILES.items():
        (workdir / name).write_text(content, encoding="utf-8", newline="")
    launched: list[object] = []
    if call.argv[:1] == ["serve"]:  # runs up to the point where it would listen
        import rentcal.web.server

        monkeypatch.setattr(rentcal.web.server, "launch", launched.append)
    output_file = None
    if "-o" in call.argv:
        at = call.argv.index("-o") + 1
        call.argv[at] = "published.ics"  # not /var/www in a test
        output_file = workdir / "published.ics"
    result = _invoke(call, env, workdir)
    assert result.exit_code == code, (line, result.exit_code, result.output)
    produced = output_file.read_text(encoding="utf-8") if output_file else result.output
    assert text in produced, (line, produced)
    assert "Traceback" not in result.output
    assert bool(launched) == (call.argv[:1] == ["serve"] and code == 0)
