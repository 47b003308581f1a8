"""What the mining plugin says on the change feed (`storage.change_feed`) when the state the
voice tracker caches per guild changes: its approved channels, or which events are active."""

CHANNELS = "mining.channels"
EVENTS = "mining.events"
