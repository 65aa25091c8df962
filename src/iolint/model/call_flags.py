"""Per-call non-blocking flags: ``sock.recv(n, socket.MSG_DONTWAIT)``.

``MSG_DONTWAIT`` makes one socket call non-blocking whatever the socket's own state: when
nothing is queued (or the send buffer is full) that call raises ``BlockingIOError``. This
module says where a socket method's ``flags`` argument is and whether it sets the flag (a
literal mention in ``A | B``, or a local name every binding of which sets it); a mask that
clears it (``flags & ~MSG_DONTWAIT``) or a flags value the model cannot read does not count.
"""

from __future__ import annotations

import ast

from iolint.model.io_calls import method_name
from iolint.model.kinds import call_arg
from iolint.model.module import ModuleModel
from iolint.model.nonblocking import State, flag_state

DONTWAIT_FLAGS = ("socket.MSG_DONTWAIT",)

# Position of ``flags`` among each socket method's positional arguments (``sendto`` takes
# ``flags`` only in its three-argument form: ``sendto(data, flags, address)``).
_FLAG_POSITIONS = {
    "recv": 1,
    "recvfrom": 1,
    "recv_into": 2,
    "recvfrom_into": 2,
    "recvmsg": 2,
    "recvmsg_into": 2,
    "send": 1,
    "sendall": 1,
    "sendmsg": 2,
}
# The methods whose ``flags`` may be given by keyword (the others take positional arguments).
_FLAG_KEYWORDS = frozenset({"recv_into", "recvfrom_into"})


def flags_argument(call: ast.Call) -> ast.expr | None:
    """The expression passed as ``flags`` to a socket method call, else None."""
    name = method_name(call)
    if name == "sendto":
        return call.args[1] if len(call.args) == 3 else None
    position = _FLAG_POSITIONS.get(name or "")
    if position is None:
        return None
    return call_arg(call, position, "flags" if name in _FLAG_KEYWORDS else None)


def _sets_flag(model: ModuleModel, expr: ast.expr) -> bool:
    """``expr`` sets ``MSG_DONTWAIT`` (and does not clear it with ``~``)."""
    return flag_state(model, expr, DONTWAIT_FLAGS) is State.NONBLOCKING


def dontwait_call(model: ModuleModel, call: ast.Call) -> bool:
    """``call`` is a socket call made non-blocking by its own ``MSG_DONTWAIT`` flag."""
    flags = flags_argument(call)
    if flags is None:
        return False
    if _sets_flag(model, flags):
        return True
    if not isinstance(flags, ast.Name):
        return False
    bindings = model.bindings_of(flags.id, flags) or []
    return bool(bindings) and all(
        b.kind == "assign" and b.value is not None and _sets_flag(model, b.value) for b in bindings
    )
