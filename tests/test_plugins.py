"""Plugin discovery: built-ins like third-party plugins, and broken plugins left out by name."""

from __future__ import annotations

import sys
from types import ModuleType

import pytest

from core.hookspecs import hookimpl
from core.plugin_spec import PluginSpec
from core.plugins import PluginManager


def plugin(name: str, depends: tuple[str, ...] = (), **hooks: object) -> ModuleType:
    module = ModuleType(f"fake_{name}")

    @hookimpl
    def redlegion_plugin() -> PluginSpec:
        return PluginSpec(name=name, version="1.0", depends=depends)

    module.redlegion_plugin = redlegion_plugin  # type: ignore[attr-defined]
    for hook, fn in hooks.items():
        setattr(module, hook, fn)
    return module


def manager(*modules: ModuleType | str) -> PluginManager:
    return PluginManager(builtins=modules, entry_point_group=None)


def test_builtins_load_in_dependency_order():
    pm = PluginManager(entry_point_group=None)
    assert pm.problems == []
    assert pm.names.index("economy") < pm.names.index("mining")
    assert pm.names.index("economy") < pm.names.index("loans")
    assert {p.source for p in pm.plugins.values()} == {"built-in"}


def test_dependency_order_does_not_follow_registration_order():
    pm = manager(plugin("b", depends=("a",)), plugin("a"))
    assert pm.names == ["a", "b"]


def test_import_failure_is_reported_and_others_load():
    pm = manager("no_such_module_anywhere", plugin("ok"))
    assert pm.names == ["ok"]
    assert len(pm.problems) == 1
    assert pm.problems[0].name == "no_such_module_anywhere"
    assert "import failed" in pm.problems[0].reason


def test_missing_dependency_leaves_out_plugin_and_its_dependents():
    pm = manager(plugin("a", depends=("ghost",)), plugin("b", depends=("a",)), plugin("c"))
    assert pm.names == ["c"]
    reasons = {p.name: p.reason for p in pm.problems}
    assert "'ghost', which is not loaded" in reasons["a"]
    assert "'a', which was left out" in reasons["b"]


def test_cycle_is_reported():
    pm = manager(plugin("a", depends=("b",)), plugin("b", depends=("a",)), plugin("c"))
    assert pm.names == ["c"]
    assert any("cyclic dependency" in p.reason for p in pm.problems)
    assert {p.name for p in pm.problems} == {"a", "b"}


def test_duplicate_name_is_reported():
    pm = manager(plugin("a"), plugin("a"))
    assert pm.names == ["a"]
    assert "already taken" in pm.problems[0].reason


def test_misspelled_hook_fails_loudly_by_name():
    @hookimpl
    def redlegion_voice_state_updat(bot: object, event: object) -> None: ...

    pm = manager(plugin("typo", redlegion_voice_state_updat=redlegion_voice_state_updat))
    assert pm.names == []
    assert pm.problems[0].name == "typo"
    assert "redlegion_voice_state_updat" in pm.problems[0].reason


def test_plugin_without_declaration_is_reported():
    pm = manager(ModuleType("empty"))
    assert pm.names == []
    assert "redlegion_plugin" in pm.problems[0].reason


def test_subset_hook_reaches_only_enabled_plugins():
    heard: list[str] = []

    def listener(name: str):
        @hookimpl
        def redlegion_member_update(bot: object, event: object) -> None:
            heard.append(name)

        return redlegion_member_update

    pm = manager(
        plugin("a", redlegion_member_update=listener("a")),
        plugin("b", redlegion_member_update=listener("b")),
    )
    pm.hook_for("redlegion_member_update", ["b"])(bot=None, ctx=None, event=None)
    assert heard == ["b"]


def test_each_plugins_own_answer_is_a_hook_call_pluggy_sees():
    """`impls` gives each plugin's answer on its own, through pluggy: the call is traced and
    monitored like any other hook call (REDLEGION_TRACE_HOOKS logs it)."""

    def pages(answer: list[str] | None):
        @hookimpl
        def redlegion_web_pages() -> list[str] | None:
            return answer

        return redlegion_web_pages

    pm = manager(
        plugin("a", redlegion_web_pages=pages(["a-page"])),
        plugin("quiet"),
        plugin("none", redlegion_web_pages=pages(None)),
        plugin("b", depends=("a",), redlegion_web_pages=pages(["b-page"])),
    )
    calls: list[tuple[str, list[str]]] = []
    pm.pm.add_hookcall_monitoring(
        lambda hook, impls, kwargs: calls.append((hook, [i.plugin_name for i in impls])),
        lambda outcome, hook, impls, kwargs: None,
    )
    answers = [(name, call()) for name, call in pm.impls("redlegion_web_pages")]
    assert answers == [("a", ["a-page"]), ("none", None), ("b", ["b-page"])]
    assert calls == [
        ("redlegion_web_pages", ["a"]),
        ("redlegion_web_pages", ["none"]),
        ("redlegion_web_pages", ["b"]),
    ]
    # a first-result hook answers with its value, not a list of one
    [(_, declare)] = [(n, c) for n, c in pm.impls("redlegion_plugin") if n == "b"]
    assert declare().name == "b"


def test_entry_point_plugin_is_discovered(monkeypatch: pytest.MonkeyPatch, thirdparty_path: str):
    monkeypatch.syspath_prepend(thirdparty_path)
    pm = PluginManager()
    assert "hello" in pm.names
    assert pm.plugins["hello"].source.startswith("entry point hello (redlegion-hello)")
    sys.modules.pop("redlegion_hello.plugin", None)
