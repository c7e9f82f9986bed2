"""Lesion study: delete blocks of a trained plain net and of its residual twin at test time and
watch held-out accuracy (Veit et al. 2016). What the paper found is stated, and whether it held
here is read from the measured drops, never assumed."""

import streamlit as st

from ui import exports, guard, identity, keep, pairs, presets, t, terms
from ui import study_charts as charts

presets.apply("lesion")
st.title(t("page.lesion.title"))
st.markdown(t("lesion.lead"))

DRAWS = [1, 3, 5, 10]


def findings(result: dict) -> None:
    """The paper's claims, each with the numbers measured here."""
    nets = {n["kind"]: n for n in result["nets"]}
    if set(nets) != {"plain", "residual"}:
        return
    plain, residual = nets["plain"], nets["residual"]
    # Stored labels are English ("plain-20"); each language names the net its own way.
    plain_name, residual_name = terms.net_label(plain["label"]), terms.net_label(residual["label"])
    verdict = next(iter(result["verdicts"].values()), None)
    st.subheader(t("lesion.findings"))
    if verdict is None:
        st.caption(t("lesion.not_twins"))
        return
    p, r = verdict["plain"], verdict["residual"]
    numbers = {
        "residual_robust": dict(drop=_pts(r["median_drop_ordinary"]), net=residual_name),
        "plain_fragile": dict(drop=_pts(p["median_drop_ordinary"]), net=plain_name,
                              other=_pts(r["median_drop_ordinary"])),
        "downsampling_hurts": dict(down=_pts(r["median_drop_downsampling"]),
                                   ordinary=_pts(r["median_drop_ordinary"])),
    }
    for code, ok in verdict["checks"].items():
        # A claim that did not hold is a finding, not an error: a warning, never a red alert.
        (st.success if ok else st.warning)(t(f"lesion.check.{code}.{'yes' if ok else 'no'}", **numbers[code]),
                                           icon=":material/check_circle:" if ok else ":material/help:")
    if r["worst_block"]:
        st.markdown(t("lesion.worst", net=residual_name, block=r["worst_block"], drop=_pts(r["worst_drop"])))
    if p["undeletable"]:
        st.markdown(t("lesion.undeletable", net=plain_name, blocks=", ".join(p["undeletable"])))
    if plain["intact_acc"] < 0.5:
        st.info(t("lesion.plain_untrained", net=plain_name, acc=_pts(plain["intact_acc"])),
                icon=":material/info:")
    st.markdown(t("lesion.held" if verdict["held"] else "lesion.not_held"))


def _pts(v) -> str:
    return "–" if v is None else f"{100 * v:.1f}"


def show(result: dict) -> None:
    nets = sorted(result["nets"], key=lambda n: n["kind"] != "plain")
    st.subheader(t("lesion.single_title"))
    st.caption(t("lesion.single_help"))
    st.plotly_chart(charts.single_deletions(nets), config=exports.png_config("lesion-single-deletions"),
                    key="lesion_single_chart")
    st.subheader(t("lesion.k_title"))
    st.caption(t("lesion.k_help", draws=result["draws"]))
    st.plotly_chart(charts.k_curve(nets), config=exports.png_config("lesion-k-deletions"), key="lesion_k_chart")
    findings(result)
    st.caption(t("lesion.measured", n=nets[0]["n_test"], seconds=f"{result['seconds']:.1f}",
                 device=result["device"]))


with guard():
    identity.identity_box("lesion")
    with st.expander(t("lesion.how_title")):
        st.markdown(t("lesion.how"))
    st.subheader(t("lesion.nets_title"))
    pair = pairs.pair_ui("lesion")
    if pair:
        draws = st.select_slider(t("lesion.draws"), DRAWS, 5, help=t("lesion.draws_help"), **keep("lesion_draws"))
        result = pairs.study_ui("lesion", "lesion", pair, {"draws": int(draws), "seed": 0})
        if result:
            show(result)
    st.divider()
    st.markdown(t("lesion.paper"))
