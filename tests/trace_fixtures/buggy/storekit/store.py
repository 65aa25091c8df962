"""A settings store."""

import json
import os


def save_settings(path, settings):
    with open(path, "w") as f:  # trace: IO306
        json.dump(settings, f)


def save_state(path, state):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f)
    os.replace(tmp, path)  # trace: IO302


def load(path):
    with open(path) as f:
        return json.load(f)
