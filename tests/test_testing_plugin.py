"""The pytest plugin installed with the package (`redlegion.testing`), as a plugin author's
own test suite uses it: the example plugin, found through its entry point, tested on both
backends and through a running bot, with no conftest of its own."""

from __future__ import annotations

import os

import pytest

from tests.conftest import BACKENDS, THIRDPARTY


def test_a_plugins_own_suite_runs_on_both_backends_and_a_bot(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the example plugin's own configuration and tests, as its author keeps them
    pytester.makepyprojecttoml((THIRDPARTY / "pyproject.toml").read_text())
    tests = pytester.mkdir("tests")
    (tests / "test_hello.py").write_text((THIRDPARTY / "tests" / "test_hello.py").read_text())
    # the example plugin as if installed: its dist-info holds the entry point
    path = os.pathsep.join(p for p in (str(THIRDPARTY), os.environ.get("PYTHONPATH")) if p)
    monkeypatch.setenv("PYTHONPATH", path)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=2 * len(BACKENDS))
    result.stdout.fnmatch_lines(
        [f"*test_the_bot_answers_my_command?{kind}? PASSED*" for kind in BACKENDS]
    )
