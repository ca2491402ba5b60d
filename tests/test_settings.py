"""The environment is read once, into one Settings, by the entry that needs it; a build context given Settings
never looks at the environment again."""

from __future__ import annotations

from cscbook.build.context import BuildContext, policy_from_env
from cscbook.core.settings import Settings


def test_settings_read_what_the_environment_says():
    s = Settings.from_env({"CSCBOOK_SHARED_CACHE": "/tmp/x", "CSCBOOK_JOBS": "3", "CSCBOOK_DISCLOSURE": "off",
                           "CSCBOOK_BROWSER": "/usr/bin/chromium", "CSCBOOK_DEBUG": "1"})
    assert s == Settings(shared_cache="/tmp/x", jobs="3", disclosure="off", debug=True)
    assert Settings.from_env({}) == Settings()
    assert policy_from_env({"CSCBOOK_DISCLOSURE": "off"}).enabled is False


def test_a_context_given_settings_does_not_read_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CSCBOOK_JOBS", "not a number")  # would stop a context that read the environment
    monkeypatch.setenv("CSCBOOK_SHARED_CACHE", str(tmp_path / "from-env"))
    ctx = BuildContext.create(tmp_path / "out", paper=False,
                              settings=Settings(shared_cache=str(tmp_path / "given"), jobs="2"))
    assert ctx.jobs == 2 and ctx.shared_root == (tmp_path / "given").resolve()
