"""The pre-screen in the Optimize section (SPEC §6.3): the "screen N variants, confirm the best
K" choice, and after such a sweep the pre-screen's figure beside Nautilus' for every confirmed
variant, with the rank correlation in figures and in words."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from rbts.runtime.prescreen.ranks import FEW_CONFIRMED, RANKS_AGREE, reading
from rbts.ui import theme

DEFAULT_K = 16


def prescreen_choice(combos: int, search: str, walk_forward: bool) -> int | None:
    """K when the user chose to screen every variant and confirm the best K; None otherwise."""
    allowed = search != "optuna" and not walk_forward
    c1, c2 = st.columns([4, 1])
    on = c1.checkbox(
        f"Screen the {combos:,} variants, confirm the best K", key="strategy.opt.prescreen", disabled=not allowed,
        help="A vectorised pre-screen evaluates every variant in seconds (fills at the close of the signal's "
             "cycle, no limit misses); only the best K run as Nautilus backtests. Grid or random search, "
             "without walk-forward. See docs/research.md.")
    k = c2.number_input("K", min_value=1, value=max(1, min(DEFAULT_K, combos)), key="strategy.opt.k",
                        disabled=not (on and allowed))
    return int(k) if on and allowed else None


def side_by_side(results: pd.DataFrame, objective: str, confirmed: list[int], params: list[str]) -> pd.DataFrame:
    """The confirmed variants, best pre-screen first: their params, the pre-screen's objective and
    Nautilus', and each one's rank among the confirmed (1 = best; failed runs have none)."""
    column = f"prescreen_{objective}"
    rows = results[results["variant"].isin(confirmed)]
    table = pd.DataFrame({
        "variant": rows["variant"].astype(int),
        **{p: rows[p] for p in params},
        "pre-screen": pd.to_numeric(rows[column], errors="coerce"),
        "Nautilus": pd.to_numeric(rows[objective].where(rows["status"] == "ok"), errors="coerce"),
        "trades": rows["trades"] if "trades" in rows else None,
        "status": rows["status"],
    })
    table["pre-screen rank"] = table["pre-screen"].rank(ascending=False, method="min").astype("Int64")
    table["Nautilus rank"] = table["Nautilus"].rank(ascending=False, method="min").astype("Int64")
    return table.sort_values(["pre-screen rank", "variant"]).reset_index(drop=True)


def agreement_figure(table: pd.DataFrame, objective: str) -> go.Figure:
    """Nautilus' objective against the pre-screen's, one dot per confirmed variant, on the diagonal
    where they are equal."""
    both = table.dropna(subset=["pre-screen", "Nautilus"])
    fig = go.Figure()
    if len(both):
        low = float(min(both["pre-screen"].min(), both["Nautilus"].min()))
        high = float(max(both["pre-screen"].max(), both["Nautilus"].max()))
        fig.add_trace(go.Scatter(x=[low, high], y=[low, high], mode="lines", name="equal",
                                 line=dict(color=theme.MUTED, width=1, dash="dot"), hoverinfo="skip"))
    fig.add_trace(go.Scatter(
        x=both["pre-screen"], y=both["Nautilus"], mode="markers", name="confirmed variant",
        marker=dict(color=theme.ACCENT, size=9), customdata=both["variant"],
        hovertemplate=f"variant %{{customdata}}<br>pre-screen {objective} %{{x:.4g}}<br>"
                      f"Nautilus {objective} %{{y:.4g}}<extra></extra>"))
    fig.update_layout(template=theme.TEMPLATE_NAME, height=360, showlegend=False,
                      xaxis_title=f"pre-screen {objective}", yaxis_title=f"Nautilus {objective}")
    return fig


def render_prescreen(results: pd.DataFrame, data: dict, params: list[str]) -> None:
    """What the pre-screen of a finished sweep found, beside what Nautilus confirmed."""
    block = data.get("prescreen")
    if not block:
        return
    objective, confirmed, rho = block["objective"], block["confirmed"], block.get("spearman")
    st.markdown(f"**Pre-screen vs Nautilus** — {block['variants']:,} variants screened in "
                f"{block['seconds']:.1f} s, the best {len(confirmed)} confirmed as backtests")
    c1, c2, c3 = st.columns(3)
    c1.metric("Variants screened", f"{block['variants']:,}",
              help=f"{block['errors']} could not be compiled" if block.get("errors") else None)
    c2.metric("Confirmed in Nautilus", len(confirmed))
    c3.metric("Rank correlation (Spearman)", "n/a" if rho is None else f"{rho:.3f}",
              help="Between the pre-screen's and Nautilus' objective over the confirmed variants; "
                   f"{RANKS_AGREE} and above: the pre-screen orders variants as Nautilus does")
    table = side_by_side(results, objective, confirmed, params)
    ok = int(table["Nautilus"].notna().sum())
    agree = rho is not None and rho >= RANKS_AGREE and ok >= FEW_CONFIRMED
    (st.info if agree else st.warning)(reading(rho, ok), icon=":material/compare_arrows:")
    left, right = st.columns([3, 2])
    left.dataframe(table, hide_index=True, width="stretch", key="strategy.opt.prescreen_table",
                   column_config={"pre-screen": st.column_config.NumberColumn(f"pre-screen {objective}",
                                                                              format="%.4f"),
                                  "Nautilus": st.column_config.NumberColumn(f"Nautilus {objective}",
                                                                            format="%.4f")})
    right.plotly_chart(agreement_figure(table, objective), width="stretch", key="strategy.opt.prescreen_fig")


def prescreen_heatmap_frame(results: pd.DataFrame, objective: str) -> pd.DataFrame:
    """results.csv with the pre-screen's figure as the objective of every screened variant, for
    the objective heatmap over the whole grid (not only the confirmed K)."""
    column = f"prescreen_{objective}"
    screened = results["status"].isin(["ok", "screened"]) & results[column].notna()
    return results.assign(**{objective: results[column], "status": screened.map({True: "ok", False: "error"})})


def screened_columns_first(results: pd.DataFrame, params: list[str], objective: str) -> pd.DataFrame:
    """results.csv for the Variants table of a pre-screened sweep: each row's status (ok, error or
    screened: not confirmed) and its pre-screen figure right after its params, where they are seen
    without scrolling; the Nautilus figures, empty for the variants only screened, follow."""
    front = [c for c in ("rank", "variant", *params, "status", f"prescreen_{objective}") if c in results]
    return results[[*front, *[c for c in results.columns if c not in front]]]

