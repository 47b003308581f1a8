"""The officers' web portal (issue 13)."""
