"""What the teacher tells the whole class, held in the web process: a few named values and a
version number that moves whenever one of them changes.

Every watching browser asks about once a second whether the version has moved (ui/users/follow.py);
that question reads one integer under a lock, so sixty browsers asking cost the server nothing
worth measuring, and only a change makes a page run again. Values are plain data (dicts, lists,
strings), never Streamlit objects; they are not kept across a restart of the server.

    state = class_state()
    state.publish("teacher_view", {"page": "degradation", "params": [["seed", "3"]]})
    version, values = state.snapshot()
"""

from __future__ import annotations

import copy
import threading


class ClassState:
    def __init__(self):
        self._lock = threading.Lock()
        self._version = 0
        self._values: dict[str, object] = {}

    @property
    def version(self) -> int:
        return self._version      # one int read: atomic in CPython, no lock needed to look

    def publish(self, name: str, value) -> bool:
        """Set `name` to `value` (None removes it); True when that changed anything (and the
        version moved)."""
        with self._lock:
            if self._values.get(name) == value:
                return False
            if value is None:
                self._values.pop(name, None)
            else:
                self._values[name] = copy.deepcopy(value)
            self._version += 1
            return True

    def get(self, name: str, default=None):
        with self._lock:
            return copy.deepcopy(self._values.get(name, default))

    def snapshot(self) -> tuple[int, dict]:
        with self._lock:
            return self._version, copy.deepcopy(self._values)


_STATE = ClassState()


def class_state() -> ClassState:
    """The one class state of this server process."""
    return _STATE
