"""The vectorised pre-screen of ``rbts sweep --prescreen K`` (SPEC §6.3).

``market``: per-cycle price arrays from base bars; ``portfolio``: the numba portfolio
simulation of many variants side by side; ``metrics``: metrics.json's figures for every
variant at once; ``screen``: variants -> merged graphs -> signals -> simulation -> a ranked table.
"""
