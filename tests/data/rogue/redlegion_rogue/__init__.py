"""Plugins that load fine but misbehave later; the tests install them through entry points."""
