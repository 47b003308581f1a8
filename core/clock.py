"""The bot's time source: the clocks of `clocks`, which the Discord stand-in shares."""

from clocks import Clock, SystemClock, VirtualClock

__all__ = ["Clock", "SystemClock", "VirtualClock"]
