"""The Store's tunables: the busy timeout and the pool size, from arguments or the environment.

Apart from the engines so that the rules for a setting's value (a number of
seconds within range; a blank variable refused, as the CLI refuses it) have
one home, and so that reading them needs no database driver.
"""

from __future__ import annotations

import os

from rentcal.errors import InvalidRequest

#: Seconds an operation may wait (for locks, connections, retries) before :class:`Busy`.
DEFAULT_BUSY_TIMEOUT = 10.0
#: Environment variables overriding the busy timeout and the connection pool size.
BUSY_TIMEOUT_ENV = "RENTCAL_BUSY_TIMEOUT"
POOL_SIZE_ENV = "RENTCAL_POOL_SIZE"
#: Connections one Store opens at most (threads beyond it wait, within the deadline).
DEFAULT_POOL_SIZE = 5
MAX_BUSY_TIMEOUT = 86_400.0


def _setting_from_env(name: str, default: str) -> str | None:
    """The variable's value, None when unset; set but blank is refused (like the CLI's)."""
    value = os.environ.get(name)
    if value is None:
        return None
    if not value.strip():
        raise InvalidRequest(f"{name} is set but empty; unset it for the default ({default})")
    return value.strip()


def busy_timeout_setting(value: object) -> float:
    """``value`` (seconds), else $RENTCAL_BUSY_TIMEOUT, else the default; checked."""
    label = "busy_timeout"
    if value is None:
        env = _setting_from_env(BUSY_TIMEOUT_ENV, f"{DEFAULT_BUSY_TIMEOUT:g} s")
        if env is None:
            return DEFAULT_BUSY_TIMEOUT
        label = BUSY_TIMEOUT_ENV
        try:
            value = float(env)
        except ValueError:
            value = env
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidRequest(f"{label} {value!r} must be a number of seconds")
    if not 0 <= value <= MAX_BUSY_TIMEOUT:  # also refuses NaN
        raise InvalidRequest(f"{label} {value!r} must be from 0 to {MAX_BUSY_TIMEOUT:g} seconds")
    return float(value)


def pool_size_setting(value: object) -> int:
    """``value``, else $RENTCAL_POOL_SIZE, else the default; a whole number from 1."""
    label = "pool_size"
    if value is None:
        env = _setting_from_env(POOL_SIZE_ENV, str(DEFAULT_POOL_SIZE))
        if env is None:
            return DEFAULT_POOL_SIZE
        label = POOL_SIZE_ENV
        value = int(env) if env.isdigit() else env
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000:
        raise InvalidRequest(
            f"{label} {value!r} must be a whole number of connections from 1 to 10000"
        )
    return value
