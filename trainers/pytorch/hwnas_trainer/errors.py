"""Errors the trainer reports to its caller: one line on stderr and a non-zero exit."""


class TrainerError(Exception):
    """Base class; the message says what is wrong and where."""

    exit_code = 2


class InvalidArgumentError(TrainerError):
    """A flag, option or trial-file field has a bad value."""


class InvalidArchitectureError(TrainerError):
    """An architecture string, encoding or IR does not describe a network of the space."""


class DataError(TrainerError):
    """The data directory or file is missing or malformed."""


class CheckpointMismatchError(TrainerError):
    """The work dir holds a checkpoint of a different trial configuration."""


class DivergedError(TrainerError):
    """Training produced a non-finite loss or metric."""

    exit_code = 3
