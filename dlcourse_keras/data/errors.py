"""Errors raised by the data layer."""


class DataError(Exception):
    """Base class for data-layer errors."""


class DataUnavailableError(DataError):
    """No source could provide the data set; the message says what to set."""


class DataIntegrityError(DataError):
    """A file's sha256 differs from the expected value; the message names both."""


class DataUnreadableError(DataUnavailableError):
    """A local copy exists but cannot be read (e.g. its permissions); the message names
    the file and its expected hash. Loaders skip such a copy like a corrupted one."""
