"""The language's grammar (``grammar.lark``) as a Lark LALR parser that builds the AST as it
parses (the transformer runs inside the parser: no parse tree is built)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from lark import Lark

from rbts.dsl.to_ast import ToAst

class ParenNewlines:
    """Post-lexer: a newline inside open parentheses continues the line."""

    always_accept = ("_NL",)

    def process(self, stream):
        depth = 0
        for tok in stream:
            if tok.type in ("LPAR", "LSQB"):
                depth += 1
            elif tok.type in ("RPAR", "RSQB"):
                depth = max(0, depth - 1)
            elif tok.type == "_NL" and depth > 0:
                continue
            yield tok


def grammar_text() -> str:
    local = Path(__file__).resolve().parent.parent / "grammar.lark"
    if local.exists():
        return local.read_text()
    return resources.files("rbts").joinpath("grammar.lark").read_text()  # installed wheel


@lru_cache(maxsize=1)
def lark_parser() -> Lark:
    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        postlex=ParenNewlines(),
        maybe_placeholders=False,
        transformer=ToAst(),
        cache=True,  # parser tables pickled in the temp dir: a cold `rbts compile` skips building them
    )
