"""A plugin whose two branches of development each added a 0002 migration (a bad merge)."""
