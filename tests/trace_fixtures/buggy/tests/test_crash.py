import pytest
from storekit import store


def readable(directory):
    """Recovery: whatever a crash left must load (a missing file means defaults)."""
    for name in ("settings.json", "state.json"):
        path = directory / name
        if path.exists():
            store.load(str(path))


@pytest.mark.crash_consistent(check=readable)
def test_saves_survive_a_crash(tmp_path):
    store.save_settings(str(tmp_path / "settings.json"), {"theme": "dark"})
    store.save_settings(str(tmp_path / "settings.json"), {"theme": "light"})
    store.save_state(str(tmp_path / "state.json"), {"step": 1})
    store.save_state(str(tmp_path / "state.json"), {"step": 2})
