from storekit import store


def test_settings_round_trip(tmp_path):
    path = str(tmp_path / "settings.json")
    store.save_settings(path, {"theme": "dark"})
    store.save_settings(path, {"theme": "light"})
    assert store.load(path) == {"theme": "light"}


def test_state_round_trip(tmp_path):
    path = str(tmp_path / "state.json")
    store.save_state(path, {"step": 1})
    assert store.load(path) == {"step": 1}
