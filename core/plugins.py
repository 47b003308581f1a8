"""Plugin discovery and ordering.

Built-ins go through the same `_add` as entry-point plugins (group `redlegion.plugins`), like
datasette's DEFAULT_PLUGINS. A plugin that fails to import, declares itself badly, implements a
hook that does not exist, duplicates a name or has a missing or cyclic dependency is left out
with its name and the reason in `problems`; the rest load. Whatever finds a plugin unusable
later (its command hook fails or its names clash with another's, the config names a plugin that
is not installed) calls `leave_out`, so `problems` stays the one list of plugins left out that
`redlegion plugins list` and `config check` report. Set REDLEGION_TRACE_HOOKS=1 to log
every hook call and which plugin answered.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

import pluggy

from core import hookspecs
from core.plugin_spec import PluginSpec

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "redlegion.plugins"
DEFAULT_PLUGINS = ("plugins.economy.plugin", "plugins.mining.plugin", "plugins.loans.plugin")
CORE_APP = "core"


@dataclass(frozen=True)
class LoadedPlugin:
    spec: PluginSpec
    module: object
    source: str


@dataclass(frozen=True)
class PluginProblem:
    name: str
    source: str
    reason: str

    def __str__(self) -> str:
        return f"plugin {self.name!r} ({self.source}) left out: {self.reason}"


class PluginManager:
    def __init__(
        self,
        *,
        builtins: Iterable[str | ModuleType] = DEFAULT_PLUGINS,
        entry_point_group: str | None = ENTRY_POINT_GROUP,
        extra: Iterable[str | ModuleType] = (),
    ) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        if os.environ.get("REDLEGION_TRACE_HOOKS"):
            self.pm.trace.root.setwriter(log.debug)
            self.pm.enable_tracing()
        self.problems: list[PluginProblem] = []
        self._subsets: dict[tuple[str, frozenset[str]], Any] = {}
        self._candidates: dict[str, LoadedPlugin] = {}
        for item in builtins:
            self._add(item, "built-in")
        if entry_point_group:
            for ep in entry_points(group=entry_point_group):
                dist = ep.dist.name if ep.dist else "?"
                self._add(ep, f"entry point {ep.name} ({dist})")
        for item in extra:
            self._add(item, "extra")
        self.plugins: dict[str, LoadedPlugin] = self._resolve()
        for problem in self.problems:
            log.error("%s", problem)

    # -- discovery -------------------------------------------------------------------------

    def _add(self, item: Any, source: str) -> None:
        label = getattr(item, "name", None) or getattr(item, "__name__", None) or str(item)
        try:
            if isinstance(item, str):
                module = importlib.import_module(item)
            elif isinstance(item, ModuleType):
                module = item
            else:  # an importlib.metadata.EntryPoint
                module = item.load()
        except Exception as exc:
            self.problems.append(PluginProblem(label, source, f"import failed: {exc!r}"))
            return
        try:
            spec = module.redlegion_plugin()
        except Exception as exc:
            self.problems.append(
                PluginProblem(label, source, f"redlegion_plugin() did not answer: {exc!r}")
            )
            return
        if not isinstance(spec, PluginSpec):
            reason = "redlegion_plugin() must return a core.plugin_spec.PluginSpec"
            self.problems.append(PluginProblem(label, source, reason))
            return
        if spec.name == CORE_APP or spec.name in self._candidates:
            self.problems.append(
                PluginProblem(spec.name, source, f"the name {spec.name!r} is already taken")
            )
            return
        try:
            self.pm.register(module, name=spec.name)
            self.pm.check_pending()
        except Exception as exc:
            if self.pm.is_registered(module):
                self.pm.unregister(module)
            self.problems.append(PluginProblem(spec.name, source, f"invalid hooks: {exc}"))
            return
        self._candidates[spec.name] = LoadedPlugin(spec, module, source)

    def _resolve(self) -> dict[str, LoadedPlugin]:
        """Order by dependencies; leave out whatever has a missing or cyclic dependency."""
        ordered: dict[str, LoadedPlugin] = {}
        state: dict[str, str] = {}

        def visit(name: str, chain: tuple[str, ...]) -> bool:
            if state.get(name) == "ok":
                return True
            if state.get(name) == "bad":
                return False
            if name in chain:
                return False
            plugin = self._candidates[name]
            for dep in plugin.spec.depends:
                if dep not in self._candidates:
                    reason = f"depends on {dep!r}, which is not loaded"
                elif dep in chain or dep == name:
                    reason = f"cyclic dependency: {' -> '.join((*chain, name, dep))}"
                elif not visit(dep, (*chain, name)):
                    reason = f"depends on {dep!r}, which was left out"
                else:
                    continue
                state[name] = "bad"
                self.problems.append(PluginProblem(name, plugin.source, reason))
                return False
            state[name] = "ok"
            ordered[name] = plugin
            return True

        for name in list(self._candidates):
            visit(name, ())
        for name in self._candidates:
            if name not in ordered:
                self.pm.unregister(name=name)
        return ordered

    def leave_out(self, name: str, reason: str, *, source: str | None = None) -> list[str]:
        """Take a plugin out after loading, with every plugin that depends on it; returns the
        names left out. A name that is not loaded (e.g. a config section for a plugin that is
        not installed) is only recorded, so every reason a plugin is missing is in one list."""
        plugin = self.plugins.pop(name, None)
        where = source or (plugin.source if plugin else "not installed")
        problem = PluginProblem(name, where, reason)
        self.problems.append(problem)
        log.error("%s", problem)
        if plugin is None:
            return [name]
        self.pm.unregister(plugin.module)
        gone = [name]
        for dependent in self.dependents(name):
            if dependent in self.plugins:
                gone += self.leave_out(dependent, f"depends on {name!r}, which was left out")
        return gone

    # -- what core asks ----------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        return list(self.plugins)

    def specs(self) -> list[PluginSpec]:
        return [p.spec for p in self.plugins.values()]

    def dependents(self, name: str) -> list[str]:
        return [p.spec.name for p in self.plugins.values() if name in p.spec.depends]

    def hook_for(self, hook_name: str, enabled: Iterable[str]) -> Any:
        """A hook caller that reaches only the given plugins (those enabled in a guild).

        Kept per hook and set of plugins: every voice event asks for one, and pluggy's subset
        caller reads the hook's implementations at each call, so a plugin left out later is
        not reached through a kept one either.
        """
        keep = frozenset(enabled)
        key = (hook_name, keep)
        if (caller := self._subsets.get(key)) is None:
            skip = [p.module for n, p in self.plugins.items() if n not in keep]
            caller = self._subsets[key] = self.pm.subset_hook_caller(hook_name, skip)
        return caller

    def impls(self, hook_name: str) -> list[tuple[str, Callable[..., Any]]]:
        """(plugin name, call) for each plugin implementing `hook_name`, in load order.

        For callers that need each plugin's answer on its own (whose pages, whose CLI
        commands, whose command clashed). `call(**kwargs)` runs that one plugin's
        implementation through pluggy, as every other hook call, so REDLEGION_TRACE_HOOKS and
        hook-call monitoring see it, and returns its result (None if it returned None).
        """
        hook = getattr(self.pm.hook, hook_name)
        implementing = {impl.plugin_name for impl in hook.get_hookimpls()}
        first = bool(hook.spec and hook.spec.opts.get("firstresult"))
        return [
            (name, partial(self._call_one, hook_name, name, first))
            for name in self.plugins
            if name in implementing
        ]

    def _call_one(self, hook_name: str, name: str, first: bool, **kwargs: Any) -> Any:
        result = self.hook_for(hook_name, [name])(**kwargs)
        if first:
            return result
        return result[0] if result else None
