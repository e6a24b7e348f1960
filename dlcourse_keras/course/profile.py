"""Run profiles: ``smoke`` (seconds, for CI) and ``full`` (real results).

The profile comes from the ``DLCOURSE_PROFILE`` environment variable and
defaults to ``full``. Notebooks size their work with :func:`by_profile`.
"""

import os

PROFILE_ENV = "DLCOURSE_PROFILE"
PROFILES = ("smoke", "full")


def get_profile():
    """Returns the active profile name, ``"smoke"`` or ``"full"``.

    Raises:
        ValueError: if ``DLCOURSE_PROFILE`` holds anything else.
    """
    value = os.environ.get(PROFILE_ENV, "full").strip().lower() or "full"
    if value not in PROFILES:
        raise ValueError(
            f"{PROFILE_ENV}={value!r} is not a profile; expected one of {PROFILES}."
        )
    return value


def is_smoke():
    """True when the smoke profile is active."""
    return get_profile() == "smoke"


def by_profile(smoke, full):
    """Picks the value for the active profile.

    Example:

    >>> epochs = by_profile(smoke=1, full=30)
    """
    return smoke if is_smoke() else full
