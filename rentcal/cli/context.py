"""What every command needs: the database URL, who is acting, and today.

The root callback builds one :class:`State` per invocation and stores it on
the Typer context; commands fetch it with :func:`get_state`. ``today`` is read
here, once (``RENTCAL_TODAY`` overrides it for tests and demos), and passed
to every library call that needs it.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

import typer

from rentcal.cli.options import empty_option
from rentcal.errors import InvalidRequest, PermissionDenied

if TYPE_CHECKING:
    from rentcal.cli.config import Config
    from rentcal.service import Rentcal

#: Hidden testing aid: pretend today is this YYYY-MM-DD date.
TODAY_ENV = "RENTCAL_TODAY"
DATABASE_ENV = "RENTCAL_DATABASE_URL"
USER_ENV = "RENTCAL_USER"
CONFIG_ENV = "RENTCAL_CONFIG"


def pinned_today(env: Mapping[str, str] | None = None) -> date | None:
    """``$RENTCAL_TODAY`` (strict YYYY-MM-DD) if set, else None."""
    env = os.environ if env is None else env
    value = env.get(TODAY_ENV, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(f"{TODAY_ENV}={value[:40]!r} is not a YYYY-MM-DD date") from None


def given_value(
    value: str | None,
    option: str,
    envvar: str,
    what: str,
    env: Mapping[str, str],
    *,
    on_command_line: bool = False,
) -> str | None:
    """An option's value; None only when neither ``option`` nor ``envvar`` is set.

    Typer (its Click) takes an empty environment variable for an unset one,
    so an explicitly empty ``envvar`` is looked up here. Empty or blank, from
    the command line or the environment, raises InvalidRequest saying which.
    """
    if value is None:
        if envvar not in env:
            return None
        value = env[envvar]
        on_command_line = False
    if value.strip():
        return value
    if not on_command_line:
        raise InvalidRequest(
            f"{option} is empty: {envvar} is set to {value!r}; "
            f"unset it to use the default, or set it to {what}"
        )
    raise InvalidRequest(empty_option(option, what))


class PinnedClock:
    """A clock running at real speed but on ``today``'s date (for ``RENTCAL_TODAY``).

    Timestamps (created_at, notifications) then agree with the pinned day and
    still increase from one command to the next. "Today" is the date in the
    organisation's time zone, so the offset is measured there once the zone is
    known (:meth:`in_zone`): measured on the host's date, a host whose date
    differs from the organisation's would be a day off.
    """

    def __init__(self, today: date) -> None:
        self.today = today
        self.zone: tzinfo | None = None
        self._offset: timedelta | None = None

    def in_zone(self, zone: tzinfo | None) -> None:
        """Measure the offset in ``zone`` (None: the host's local zone) from now on."""
        self.zone = zone
        self._offset = None

    def __call__(self) -> datetime:
        now = datetime.now(UTC)
        if self._offset is None:
            real = now.astimezone(self.zone).date()
            self._offset = self.today - real
        return now + self._offset


def shifted_clock(today: date) -> PinnedClock:
    """The clock of a pinned ``today``; see :class:`PinnedClock`."""
    return PinnedClock(today)


def _zone_of(cal: Rentcal) -> tzinfo | None:
    """The organisation's zone as a tzinfo (None: the host's local zone)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(cal.timezone().name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def login_name() -> str | None:
    """The OS login name, or None where the platform cannot tell."""
    try:
        return getpass.getuser() or None
    except Exception:  # getpass raises OSError, KeyError or ImportError by platform
        return None


@dataclass(slots=True)
class State:
    """Per-invocation settings: the global options, the environment, the config file.

    ``today`` is read lazily, once: ``RENTCAL_TODAY`` when pinned, else the
    date in the organisation's time zone (the database's, see
    :meth:`rentcal.Rentcal.today`), so every host agrees on it.
    """

    #: ``--db`` / ``--as`` as given (option or variable; None: not given).
    given_db: str | None
    given_acting: str | None
    #: ``RENTCAL_TODAY`` (then the clock follows it), else None.
    pinned_today: date | None = None
    #: ``--config`` / ``$RENTCAL_CONFIG`` (None: the default file, if any).
    config_file: str | None = None
    #: Which of "db", "acting" were given on the command line.
    command_line: frozenset[str] = frozenset()
    #: ``--busy-timeout`` (None: not given; the variable, the file or the default).
    given_busy_timeout: float | None = None
    env: Mapping[str, str] | None = None
    _config: Config | None = None
    _today: date | None = None
    _warned: bool = False

    @property
    def config(self) -> Config:
        """The effective settings (option > env > config file > default), read on first use.

        The file is read only when a command needs a setting, so ``--help``
        never reads it (nor fails on a malformed one).
        """
        if self._config is None:
            from rentcal.cli.config import load

            self._config = load(
                self.config_file,
                options={
                    "database_url": self.given_db if "db" in self.command_line else None,
                    "user": self.given_acting if "acting" in self.command_line else None,
                    "busy_timeout": self.given_busy_timeout,
                },
                env=os.environ if self.env is None else self.env,
            )
        return self._config

    @property
    def db(self) -> str | None:
        """The database URL: --db, $RENTCAL_DATABASE_URL, the config file, else None (default)."""
        url: str | None = self.config.get("database_url")
        return url

    @property
    def acting(self) -> str | None:
        """The acting member: --as, $RENTCAL_USER, the config file, else the login name."""
        handle: str | None = self.config.get("user")
        return handle or login_name()

    @property
    def pinned(self) -> bool:
        """Whether ``today`` was pinned by RENTCAL_TODAY."""
        return self.pinned_today is not None

    @property
    def today(self) -> date:
        """Today in the organisation's zone (read once), or the pinned day."""
        if self.pinned_today is not None:
            return self.pinned_today
        if self._today is None:
            self._today = self._org_today()
        return self._today

    def _org_today(self) -> date:
        """Today as the database's zone has it; the configured/host zone when it cannot be read.

        Commands parse their dates before they connect; a database that cannot
        be opened here is left for the command's own connect to report.
        """
        from rentcal.errors import RentcalError

        try:
            with self.connect() as cal:
                return cal.today()
        except RentcalError:
            zone = self.setting("timezone")
            if zone is None:
                return date.today()
            from zoneinfo import ZoneInfo

            return datetime.now(ZoneInfo(zone)).date()

    def setting(self, key: str) -> Any:
        """The effective value of a config setting (None: its default is decided elsewhere)."""
        return self.config.get(key)

    @classmethod
    def build(
        cls,
        db: str | None,
        acting: str | None,
        env: Mapping[str, str] | None = None,
        *,
        command_line: Collection[str] = (),
        config_file: str | None = None,
        busy_timeout: float | None = None,
    ) -> State:
        """The state for this invocation.

        ``db`` and ``acting`` are the ``--db`` / ``--as`` values as Typer gives
        them (None when neither the option nor its variable is set);
        ``command_line`` names those of ``"db"``, ``"acting"``, ``"config"``
        given as options rather than read from the environment. Given but
        empty, from the option or the variable, is an InvalidRequest rather
        than a silent fall back to the default. ``config_file`` is
        ``--config`` / ``$RENTCAL_CONFIG`` (None: the default file, if any);
        ``busy_timeout`` is ``--busy-timeout`` (None: not given).
        """
        env = os.environ if env is None else env
        db = given_value(
            db,
            "--db",
            DATABASE_ENV,
            "a database URL or file path",
            env,
            on_command_line="db" in command_line,
        )
        acting = given_value(
            acting,
            "--as",
            USER_ENV,
            "a member handle",
            env,
            on_command_line="acting" in command_line,
        )
        config_file = given_value(
            config_file,
            "--config",
            CONFIG_ENV,
            "a config file path",
            env,
            on_command_line="config" in command_line,
        )
        return cls(
            given_db=db,
            given_acting=acting,
            pinned_today=pinned_today(env),
            config_file=config_file,
            command_line=frozenset(command_line),
            given_busy_timeout=busy_timeout,
            env=env,
        )

    def connect(
        self, db: str | None = None, *, create: bool = False, timezone: str | None = None
    ) -> Rentcal:
        """Open the database (``db`` overrides ``--db``; None = env, config or the default file).

        Only ``init`` and ``demo`` pass ``create=True``: every other command on a
        missing file or an empty database is an error (exit 4) and creates nothing.
        The configured busy timeout, pool size and time zone are passed on;
        ``timezone`` (``init --timezone``) overrides the configured zone.
        """
        import rentcal
        from rentcal.cli import render
        from rentcal.db.urls import url_secrets

        url = db if db is not None else self.db
        render.hide(url_secrets(url or os.environ.get(DATABASE_ENV, "")))
        clock = shifted_clock(self.pinned_today) if self.pinned_today is not None else None
        zone = timezone if timezone is not None else self.setting("timezone")
        cal = rentcal.connect(
            url,
            clock=clock,
            create=create,
            busy_timeout=self._given("busy_timeout"),
            pool_size=self._given("pool_size"),
            timezone=zone,
        )
        if clock is not None:
            clock.in_zone(_zone_of(cal))
        if zone is not None and not self._warned:
            self._warned = True
            self._warn_zone(cal, zone)
        return cal

    def _given(self, key: str) -> Any:
        """An option's or the file's value; None leaves the variable or default to connect()."""
        return self.setting(key) if self.config.source(key) in ("option", "file") else None

    def _warn_zone(self, cal: Rentcal, zone: str) -> None:
        """Say so when the configured zone is not the one the database holds (which wins)."""
        found = cal.timezone()
        if found.stored and found.name != zone:
            from rentcal.cli import render

            origin = "init --timezone"
            if self.config.given("timezone") == zone:
                origin = self.config.values["timezone"].source_text
            render.error_line(
                f"Warning: the organisation's time zone is {found.name} (stored in the "
                f"database); {zone} ({origin}) is ignored. An admin changes it with "
                "'rentcal timezone set ZONE'."
            )

    def who(self) -> str:
        """The acting member's handle, or PermissionDenied when nobody is known."""
        if not self.acting:
            raise PermissionDenied(
                "this needs an acting member: pass --as HANDLE or set RENTCAL_USER"
            )
        return self.acting

    def day(self, text: str) -> date:
        """A date expression (ISO, today, +3d, fri, ...) relative to ``today``."""
        from rentcal.dates import parse_date

        return parse_date(text, self.today)

    def optional_day(self, text: str | None) -> date | None:
        """:meth:`day`, or None for an option that was not given."""
        return None if text is None else self.day(text)

    def window(self, start: str | None, end: str | None, default_days: int) -> tuple[date, date]:
        """``--from``/``--to``: START defaults to today, END to ``default_days`` days on."""
        from rentcal.dates import end_from_days

        first = self.today if start is None else self.day(start)
        return first, end_from_days(first, default_days) if end is None else self.day(end)

    def span(self, start: str, end: str | None, days: int | None) -> tuple[date, date]:
        """START and END, or START and ``--days N`` (N days including START)."""
        first = self.day(start)
        if end is not None and days is not None:
            raise InvalidRequest("give END or --days, not both")
        if days is not None:
            from rentcal.dates import end_from_days

            return first, end_from_days(first, days)
        if end is None:
            raise InvalidRequest("missing END: give the last day, or --days N")
        return first, self.day(end)


def get_state(ctx: typer.Context) -> State:
    """The :class:`State` the root callback stored on the context."""
    found = ctx.find_object(State)
    if found is None:  # pragma: no cover - every command runs under the root callback
        raise RuntimeError("rentcal command invoked without the root callback")
    return found


__all__ = [
    "CONFIG_ENV",
    "DATABASE_ENV",
    "TODAY_ENV",
    "USER_ENV",
    "State",
    "get_state",
    "given_value",
    "login_name",
    "pinned_today",
    "shifted_clock",
]
