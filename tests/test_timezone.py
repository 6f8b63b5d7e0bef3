"""One clock for the organisation: "today" is the date in the stored time zone.

Clocks are injected (UTC, as always) on both sides of midnight: at 23:30 UTC
it is already tomorrow in Europe/Berlin and still today in America/New_York;
at 03:00 UTC it is still yesterday in New York. Every case runs on SQLite and,
when configured, PostgreSQL.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

import rentcal
import rentcal.service.org_zone as org_zone
from rentcal.errors import InvalidRequest, PermissionDenied
from tests.cli_support import cli, failed
from tests.conftest import BOTH, d

pytestmark = BOTH

LATE = datetime(2030, 1, 9, 23, 30, tzinfo=UTC)  # Berlin: Jan 10; New York: Jan 9
EARLY = datetime(2030, 1, 10, 3, 0, tzinfo=UTC)  # Berlin: Jan 10; New York: Jan 9


def at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def opened(db_url: str, moment: datetime, zone: str | None = None) -> rentcal.Rentcal:
    return rentcal.connect(db_url, clock=at(moment), timezone=zone, busy_timeout=5)


class TestToday:
    """today() reads the clock in the organisation's zone."""

    @pytest.mark.parametrize(
        ("moment", "zone", "today"),
        [
            (LATE, "Europe/Berlin", d(10)),
            (LATE, "America/New_York", d(9)),
            (LATE, "UTC", d(9)),
            (LATE, "Asia/Tokyo", d(10)),
            (EARLY, "Europe/Berlin", d(10)),
            (EARLY, "America/New_York", d(9)),
            (EARLY, "Pacific/Honolulu", d(9)),
            (EARLY, "UTC", d(10)),
        ],
    )
    def test_stored_zone_decides(
        self, db_url: str, moment: datetime, zone: str, today: date
    ) -> None:
        with opened(db_url, moment, zone) as cal:
            cal.init("ada")
        # another host, configured for another zone (or none): the stored one wins
        for other in ("Australia/Sydney", None):
            with opened(db_url, moment, other) as cal:
                assert cal.timezone().name == zone
                assert cal.timezone().source == "database"
                assert cal.today() == today

    def test_first_admin_added_stores_the_zone_as_init_does(self, db_url: str) -> None:
        with opened(db_url, LATE, "Asia/Tokyo") as cal:
            cal.add_member("ada", admin=True)
            cal.add_member("bob", acting="ada")
        with opened(db_url, LATE, "America/New_York") as cal:
            found = cal.timezone()
            assert (found.name, found.source, found.changed_by) == (
                "Asia/Tokyo",
                "database",
                "ada",
            )
            assert cal.today() == d(10)
            assert len(cal.timezone_history()) == 1

    def test_given_zone_until_one_is_stored(self, db_url: str) -> None:
        with opened(db_url, LATE, "Europe/Berlin") as cal:
            assert cal.timezone().source == "connect"
            assert cal.today() == d(10)
        with opened(db_url, LATE, "America/New_York") as cal:
            assert cal.today() == d(9)

    def test_environment_variable(self, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("RENTCAL_TIMEZONE", "Europe/Berlin")
        with opened(db_url, LATE) as cal:
            assert cal.today() == d(10)
            cal.init("ada")
            assert cal.timezone().name == "Europe/Berlin"
        monkeypatch.setenv("RENTCAL_TIMEZONE", "Mars/Base")
        with pytest.raises(InvalidRequest, match="RENTCAL_TIMEZONE: timezone 'Mars/Base'"):
            rentcal.connect(db_url)

    def test_host_zone_without_any(self, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        with opened(db_url, LATE) as cal:
            zone = cal.timezone()
            assert zone.source == "host"
            assert cal.today() == LATE.astimezone().date()

    def test_given_today_still_wins(self, db_url: str) -> None:
        with opened(db_url, LATE, "Europe/Berlin") as cal:
            assert cal.today(d(3)) == d(3)

    def test_bookable_days_follow_the_zone(self, db_url: str) -> None:
        """At 23:30 UTC on the 9th, Berlin may no longer book the 9th; New York may."""
        with opened(db_url, LATE, "Europe/Berlin") as cal:
            cal.init("ada")
            cal.add_machine("saw", daily_price="1", auto_approve=True, acting="ada")
            with pytest.raises(InvalidRequest, match="past"):
                cal.book("saw", d(9), d(9), member="ada")
            assert cal.book("saw", d(10), d(10), member="ada").start == d(10)
            cal.set_timezone("America/New_York", acting="ada")
            assert cal.book("saw", d(9), d(9), member="ada").start == d(9)


class TestSetting:
    """set_timezone: admins only, checked, recorded with who and when."""

    def test_set_and_history(self, db_url: str) -> None:
        with opened(db_url, LATE, "UTC") as cal:
            cal.init("ada")
            cal.add_member("bob", verified=True, acting="ada")
            assert cal.today() == d(9)
            zone = cal.set_timezone("Europe/Berlin", acting="ada")
            assert (zone.name, zone.source, zone.changed_by) == ("Europe/Berlin", "database", "ada")
            assert zone.changed_at == LATE
            assert cal.today() == d(10)  # this connection at once
            assert cal.set_timezone("Europe/Berlin", acting="ada") == zone  # no new row
            assert [z.name for z in cal.timezone_history()] == ["Europe/Berlin", "UTC"]
            assert zone.as_dict() == {
                "timezone": "Europe/Berlin",
                "source": "database",
                "stored": True,
                "changed_by": "ada",
                "changed_at": LATE.isoformat(),
            }
            with pytest.raises(PermissionDenied, match="only admins can set"):
                cal.set_timezone("UTC", acting="bob")
            with pytest.raises(InvalidRequest) as info:
                cal.set_timezone("Europe/Atlantis", acting="ada")
            assert (info.value.field, info.value.value) == ("zone", "Europe/Atlantis")
            assert cal.timezone().name == "Europe/Berlin"

    def test_other_connections_see_it_after_the_ttl(
        self, db_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        with opened(db_url, LATE, "UTC") as first, opened(db_url, LATE) as second:
            first.init("ada")
            assert second.today() == d(9)
            first.set_timezone("Europe/Berlin", acting="ada")
            assert second.today() == d(9)  # cached: no query per operation
            monkeypatch.setattr(org_zone, "ZONE_TTL", 0.0)
            assert second.today() == d(10)

    def test_today_costs_no_query_once_read(self, db_url: str) -> None:
        with opened(db_url, LATE, "UTC") as cal:
            cal.init("ada")
            cal.today()
            calls: list[object] = []
            original = cal.store.run
            cal.store.run = lambda *a, **k: calls.append(a) or original(*a, **k)  # type: ignore[method-assign]
            for _ in range(5):
                cal.today()
            assert calls == []

    def test_upgraded_database_holds_no_zone(self, sqlite_url: str) -> None:
        import sqlalchemy as sa

        path = sa.make_url(sqlite_url).database or ""
        shutil.copy(Path(__file__).parent / "fixtures" / "v1.db", path)
        with rentcal.connect(sqlite_url, clock=at(LATE), timezone="Europe/Berlin") as cal:
            assert cal.timezone().source == "connect"  # not stored by the upgrade
            assert cal.timezone_history() == []
            assert cal.today() == d(10)
            admin = next(m for m in cal.members() if m.is_admin)
            cal.set_timezone("America/New_York", acting=admin.handle)
            assert cal.today() == d(9)


class TestCli:
    """init stores the zone; timezone show/set; the warning for a disagreeing host."""

    def test_init_stores_the_configured_zone(self, db_url: str, tmp_path: Path) -> None:
        conf = tmp_path / "c.toml"
        conf.write_text('timezone = "Asia/Tokyo"\n', encoding="utf-8")
        result = cli(db_url, "--config", str(conf), "init", "--admin", "ada", as_=None)
        assert result.exit_code == 0, result.output
        assert "Time zone: Asia/Tokyo" in result.stdout
        with rentcal.connect(db_url) as cal:
            assert (cal.timezone().name, cal.timezone().changed_by) == ("Asia/Tokyo", "ada")

    def test_init_option_beats_env(self, db_url: str) -> None:
        result = cli(
            db_url,
            "init",
            "--admin",
            "ada",
            "--timezone",
            "Europe/Berlin",
            "--json",
            as_=None,
            env={"RENTCAL_TIMEZONE": "America/New_York"},
        )
        assert result.exit_code == 0, result.output
        assert '"timezone": "Europe/Berlin"' in result.stdout

    def test_init_bad_zone_is_exit_2(self, db_url: str) -> None:
        result = cli(db_url, "init", "--admin", "ada", "--timezone", "Berlin", as_=None)
        failed(result, 2, "timezone 'Berlin' is not a known time zone")

    def test_set_show_and_warning(self, db_url: str) -> None:
        assert cli(db_url, "init", "--admin", "ada", as_=None).exit_code == 0
        result = cli(db_url, "timezone", "set", "Europe/Berlin")
        assert result.exit_code == 0, result.output
        assert "timezone  Europe/Berlin" in result.stdout
        assert "set by    ada" in result.stdout
        failed(cli(db_url, "timezone", "set", "Nowhere/Land"), 2, "zone 'Nowhere/Land'")
        assert cli(db_url, "member", "add", "bob").exit_code == 0
        failed(cli(db_url, "timezone", "set", "UTC", as_="bob"), 3, "only admins can set")
        result = cli(db_url, "timezone", "show", env={"RENTCAL_TIMEZONE": "America/New_York"})
        assert result.exit_code == 0
        assert "Warning: the organisation's time zone is Europe/Berlin" in result.stderr
        assert "America/New_York (env RENTCAL_TIMEZONE) is ignored" in result.stderr
        quiet = cli(db_url, "timezone", "show", "--json", env={"RENTCAL_TIMEZONE": "Europe/Berlin"})
        assert quiet.stderr == ""
        assert '"source": "database"' in quiet.stdout

    def test_cli_today_is_the_zone_date(self, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without RENTCAL_TODAY the CLI's 'today' is the stored zone's date."""
        import rentcal.service as service

        real = service.connect

        def late_connect(*args: object, **kwargs: object) -> rentcal.Rentcal:
            kwargs["clock"] = kwargs.get("clock") or at(LATE)
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(rentcal, "connect", late_connect)
        assert cli(db_url, "init", "--admin", "ada", "--timezone", "Europe/Berlin").exit_code == 0
        result = cli(db_url, "timezone", "show", "--json", env={"RENTCAL_TODAY": None})
        assert '"today": "2030-01-10"' in result.stdout
        assert cli(db_url, "timezone", "set", "America/New_York").exit_code == 0
        result = cli(db_url, "timezone", "show", "--json", env={"RENTCAL_TODAY": None})
        assert '"today": "2030-01-09"' in result.stdout
        # relative dates too: "today" in `rentcal check` is the zone's day
        assert cli(db_url, "machine", "add", "saw", "--price", "1").exit_code == 0
        result = cli(
            db_url, "check", "saw", "today", "today", "--json", env={"RENTCAL_TODAY": None}
        )
        assert '"start": "2030-01-09"' in result.stdout, result.output


class TestWeb:
    """The server's pages read "today" in the stored zone as well."""

    @pytest.mark.parametrize(
        ("zone", "today"), [("Europe/Berlin", d(10)), ("America/New_York", d(9))]
    )
    def test_booking_page_today(self, db_url: str, zone: str, today: date) -> None:
        from tests.web_support import Web

        with opened(db_url, LATE, zone) as cal:
            cal.init("ada")
            cal.add_machine("saw", daily_price="1", acting="ada")
            page = Web(cal).as_("ada").get("/")
            assert page.status_code == 200
            assert f'data-today="{today.isoformat()}"' in page.text
