"""Methods that write into the file object they are given.

``config.write(f)`` (``ConfigParser``), ``tree.write(f)`` (``ElementTree``),
``doc.writexml(f)`` (``minidom``), ``pickler.dump(f)``-style ``x.dump(f)``, ``img.save(f)``,
``array.tofile(f)``: the object serializes itself into ``f`` through ``f.write``, so ``f``'s
buffer holds the data afterwards, as after ``json.dump(obj, f)``. Only method calls whose name
says "write into" count, and only the file passed as a positional argument or as a keyword
that names a destination; a method named ``read_file``, ``load`` or ``update`` is not a write.
"""

from __future__ import annotations

import ast

# Method names that serialize their object into the file argument.
WRITER_METHODS = frozenset(
    {
        "write",
        "writexml",
        "write_xml",
        "dump",
        "dump_to",
        "save",
        "save_to",
        "serialize",
        "tofile",
        "to_file",
        "write_to",
        "writeto",
    }
)
# Keywords that name the destination file.
_DESTINATION_KEYWORDS = frozenset({"f", "fp", "fh", "file", "fileobj", "stream", "out", "writer"})


def written_arguments(call: ast.Call) -> list[ast.expr]:
    """The arguments ``call`` writes into when it is a writer method (``x.write(f)``,
    ``x.dump(f)``), else nothing. The caller decides which of them are files."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in WRITER_METHODS:
        return []
    out: list[ast.expr] = [a for a in call.args if not isinstance(a, ast.Starred)]
    out += [k.value for k in call.keywords if k.arg in _DESTINATION_KEYWORDS]
    return out
