"""Errors raised by the data layer."""


class DataError(Exception):
    """Base class for data-layer errors."""


class DataUnavailableError(DataError):
    """No source could provide the data set; the message says what to set."""


class DataIntegrityError(DataError):
    """A file's sha256 differs from the expected value; the message names both."""
