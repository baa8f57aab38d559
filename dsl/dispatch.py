"""The one dispatch style of every backend: a method per case, named ``on_<case>``.

A case is an AST node class name (``on_Compare``) for the backends that walk the
AST (checker, lowering, formatter) and a graph op (``on_compare``, ``on_indicator``;
see :func:`rbts.compiler.graph.op_key`) for those that walk the compiled graph
(both evaluators, the warm-up estimate, the graph text).  The table of a backend
class is built once, when the class is defined; a case without a handler raises
``NotImplementedError`` naming the backend and the case, and tests/compiler/test_backends.py
checks that every backend handles every case.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

PREFIX = "on_"


class Backend:
    """Base of every backend; see the module docstring."""

    _handlers: ClassVar[dict[str, Callable[..., Any]]] = {}
    _by_class: ClassVar[dict[type, Callable[..., Any]]] = {}  # visit's cache: node class -> handler

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._handlers = {name[len(PREFIX):]: getattr(cls, name) for name in dir(cls) if name.startswith(PREFIX)}
        cls._by_class = {}

    @classmethod
    def handles(cls, case: str) -> bool:
        return case in cls._handlers

    def handler(self, case: str) -> Callable[..., Any]:
        """The unbound handler of ``case`` (call it with ``self`` first)."""
        try:
            return self._handlers[case]
        except KeyError:
            raise NotImplementedError(f"{type(self).__name__} has no handler for {case!r}") from None

    def visit(self, node, *args):
        """Dispatch an AST node on its class name."""
        try:
            handler = self._by_class[type(node)]
        except KeyError:
            handler = self._by_class[type(node)] = self.handler(type(node).__name__)
        if args:
            return handler(self, node, *args)
        return handler(self, node)
