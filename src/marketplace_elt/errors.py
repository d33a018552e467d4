"""Errors a user can cause. The CLI prints them as one line (what is wrong, and what to do)."""


class UserError(Exception):
    """A problem the user can fix: bad input, bad config, a service that is down.

    The message is one sentence naming the problem and the fix; the CLI prints it without a traceback.
    """


class ConfigError(UserError):
    """A setting has a value the platform cannot use."""


class ServiceError(UserError):
    """An embedded or external service is not reachable or could not be started."""
