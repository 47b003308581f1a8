"""Template filters: core's, a plugin's own, and a plugin refused for taking a name."""

from __future__ import annotations

import logging
from types import ModuleType
from typing import Any

import pytest

from core.hookspecs import hookimpl
from core.plugin_spec import PluginSpec
from core.plugins import PluginManager
from core.web.pages import Page
from core.web.portal import Portal, fmt_money
from plugins.mining.timeline import hms
from tests.support import make_settings


def page_plugin(name: str, filters: dict[str, Any]) -> ModuleType:
    module = ModuleType(f"fake_{name}")

    @hookimpl
    def redlegion_plugin() -> PluginSpec:
        return PluginSpec(name=name, version="1.0", depends=("mining",))

    @hookimpl
    def redlegion_web_filters() -> dict[str, Any]:
        return filters

    @hookimpl
    def redlegion_web_pages() -> list[Page]:
        async def index(req: Any) -> Any:
            raise AssertionError("not called")

        return [Page("", index, title=name)]

    module.redlegion_plugin = redlegion_plugin  # type: ignore[attr-defined]
    module.redlegion_web_filters = redlegion_web_filters  # type: ignore[attr-defined]
    module.redlegion_web_pages = redlegion_web_pages  # type: ignore[attr-defined]
    return module


def portal_with(*modules: ModuleType) -> Portal:
    plugins = PluginManager(entry_point_group=None, extra=list(modules))
    assert plugins.problems == []
    return Portal(make_settings({}, plugins), plugins)


def test_core_and_plugin_filters_format_in_templates() -> None:
    portal = portal_with(page_plugin("shouty", {"shout": str.upper}))
    env = portal.templates
    assert env.filters["money"] is fmt_money
    assert env.filters["hms"] is hms  # mining's, through its hook
    rendered = env.from_string("{{ s|hms }} {{ a|money }} {{ n|shout }}").render(
        s=5025, a="1234.5", n="<b>ok</b>"
    )
    assert rendered == "1h 23m 45s 1,234.50 aUEC &lt;B&gt;OK&lt;/B&gt;"
    assert "shouty" in portal.pages


@pytest.mark.parametrize(
    ("taken", "owner"), [("money", "Jinja or core's"), ("hms", "mining's"), ("upper", "Jinja")]
)
def test_a_plugin_taking_a_filter_name_gets_no_pages(
    taken: str, owner: str, caplog: pytest.LogCaptureFixture
) -> None:
    def impostor(value: object) -> str:
        return "forged"

    with caplog.at_level(logging.ERROR, logger="core.web.portal"):
        portal = portal_with(page_plugin("clash", {taken: impostor, "fine": str}))
    assert "clash" not in portal.pages
    assert "mining" in portal.pages
    assert portal.templates.filters[taken] is not impostor
    assert "fine" not in portal.templates.filters  # none of the refused plugin's filters
    assert f"plugin clash gets no portal pages: its template filter '{taken}'" in caplog.text
    assert owner in caplog.text
