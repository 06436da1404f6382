#!/usr/bin/python3
"""Cheap lint of the trainer's Python: every file compiles, and no import goes unused.

Run from anywhere; exits non-zero naming each problem as path:line: message.
"""

import ast
import os
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))


def problems(path):
    with open(path, encoding="utf-8") as fh:
        source = fh.read()
    try:
        tree = ast.parse(source, path)
        compile(tree, path, "exec")
    except SyntaxError as e:
        return [f"{path}:{e.lineno}: {e.msg}"]
    imported = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                name = (alias.asname or alias.name).split(".")[0]
                imported.setdefault(name, node.lineno)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    used |= {n.value.id for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)}
    return [f"{path}:{line}: {name} imported but unused" for name, line in imported.items()
            if name not in used and not path.endswith("__init__.py")]


def main():
    found = []
    for d, dirs, files in os.walk(ROOT):
        dirs[:] = [x for x in dirs if x != "__pycache__"]
        for f in sorted(files):
            if f.endswith(".py"):
                found += problems(os.path.join(d, f))
    for p in found:
        print(p, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
