"""RBTS -- Rule-Based Trading Strategies.

The repository root is the ``rbts`` package (pyproject maps it), so the
top-level folders ``dsl/ compiler/ runtime/ ui/`` import as ``rbts.dsl`` etc.
"""

__version__ = "0.1.0"
