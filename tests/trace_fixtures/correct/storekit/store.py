"""A settings store."""

import json
import os


def _write_durably(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_settings(path, settings):
    _write_durably(path, json.dumps(settings))


def save_state(path, state):
    _write_durably(path, json.dumps(state))


def load(path):
    with open(path) as f:
        return json.load(f)
