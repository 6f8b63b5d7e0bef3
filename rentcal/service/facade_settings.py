"""The facade's calls about calendars, notifications and the organisation's settings.

:class:`SettingsFacade` holds the :class:`~rentcal.service.Rentcal` methods
that show the calendar, tell members what happened and set the
organisation's rules, each handed to the use case that owns it
(:func:`~rentcal.service.wiring.via`):

========================  ===============================================
``calendars``             ``events``, ``ical``, ``feed_items``; ``revision``:
                          the calendar's revision
``notifications``         ``notifications``, ``mark_read``
``reminders``             ``queue_reminders``: pick-up and return reminders,
                          once each, through the mail outbox (and the
                          admins' daily lists of pending requests)
``org_settings``          the organisation's time zone: ``timezone``,
                          ``set_timezone``, ``timezone_history``; the rental
                          limits: ``limits``, ``set_limits``, ``limits_history``;
                          the reminder hour: ``reminder_hour``, ``set_reminder_hour``,
                          ``reminder_hour_history``; the currency:
                          ``currency``, ...; the no-show grace: ``no_show_hours``, ...
``usage_metrics``         the web server's figures per minute, of every
                          worker: ``add_usage``, ``usage``
========================  ===============================================

The cancellation policy, also kept by ``org_settings``, is billing's
(:mod:`rentcal.service.facade_billing`).
"""

from __future__ import annotations

from rentcal.service.calendars import Feeds
from rentcal.service.notifications import Inbox
from rentcal.service.org_settings import OrgSettings
from rentcal.service.reminders import Reminders
from rentcal.service.usage_metrics import UsageFigures
from rentcal.service.wiring import via


class SettingsFacade:
    """Calendars, notifications, the organisation's settings (a part of ``Rentcal``)."""

    __slots__ = ()  # delegations only; the instance is a Rentcal

    # -- calendars and notifications ------------------------------------------------

    events = via("feeds", Feeds.events)
    ical = via("feeds", Feeds.ical)
    feed_items = via("feeds", Feeds.feed_items)
    revision = via("feeds", Feeds.revision)
    notifications = via("inbox", Inbox.notifications)
    mark_read = via("inbox", Inbox.mark_read)
    queue_reminders = via("reminders", Reminders.queue_reminders)

    # -- the organisation's settings ------------------------------------------------

    timezone = via("settings", OrgSettings.timezone)
    set_timezone = via("settings", OrgSettings.set_timezone)
    timezone_history = via("settings", OrgSettings.timezone_history)
    limits = via("settings", OrgSettings.limits)
    set_limits = via("settings", OrgSettings.set_limits)
    limits_history = via("settings", OrgSettings.limits_history)
    reminder_hour = via("settings", OrgSettings.reminder_hour)
    set_reminder_hour = via("settings", OrgSettings.set_reminder_hour)
    reminder_hour_history = via("settings", OrgSettings.reminder_hour_history)
    currency = via("settings", OrgSettings.currency)
    set_currency = via("settings", OrgSettings.set_currency)
    currency_history = via("settings", OrgSettings.currency_history)
    no_show_hours = via("settings", OrgSettings.no_show_hours)
    set_no_show_hours = via("settings", OrgSettings.set_no_show_hours)
    no_show_hours_history = via("settings", OrgSettings.no_show_hours_history)

    # -- the web server's figures per minute (its admin page's chart) -----------------

    add_usage = via("usage", UsageFigures.add_usage)
    usage = via("usage", UsageFigures.usage)


__all__ = ["SettingsFacade"]
