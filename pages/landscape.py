"""Loss landscape: 1-D and 2-D slices of the training loss along filter-normalised random
directions around a trained plain net and its residual twin (Li et al. 2018), side by side on one
colour scale. Whether the residual net's slice was the smoother one is read from the measured
grid, never assumed."""

import streamlit as st

from resnet_core.inspection import landscape
from ui import guard, keep, label_of, t
from ui.draw import study_charts
from ui.page import presets, terms, verdicts
from ui.page.i18n import words
from ui.training import exports, twins

presets.apply("landscape")
st.title(t("page.landscape.title"))
st.markdown(t("landscape.lead"))

GRIDS = [11, 21, 31]
SPANS = [0.5, 1.0, 2.0]
IMAGES = [256, 512, 0]   # 0: every training image


def settings() -> dict:
    c1, c2, c3, c4 = st.columns(4)
    grid = c1.select_slider(t("landscape.grid"), GRIDS, 21, help=t("landscape.grid_help"), **keep("landscape_grid"))
    span = c2.select_slider(t("landscape.span"), SPANS, 1.0, help=t("landscape.span_help"), **keep("landscape_span"))
    images = c3.selectbox(t("landscape.images"), IMAGES, index=1, format_func=label_of("landscape.images_n"),
                          help=t("landscape.images_help"), **keep("landscape_images"))
    seed = int(c4.number_input(t("landscape.seed"), 0, 9999, 0, help=t("landscape.seed_help"),
                               **keep("landscape_direction_seed")))
    return {"grid": int(grid), "points_1d": 41, "span": float(span), "seed": seed, "max_images": int(images)}


def findings(result: dict) -> None:
    """Li et al.'s claims, each read from the measured shapes (landscape.verdict): held, the
    other way, or no difference here."""
    nets = {n["kind"]: n for n in result["nets"]}
    if set(nets) != {"plain", "residual"}:
        return
    if not result["verdicts"]:   # stored runs of two depths: nothing to compare
        st.subheader(t("landscape.findings"))
        st.caption(t("landscape.not_twins"))
        return
    verdict = landscape.verdict(nets["plain"], nets["residual"])
    if not verdict["outcomes"]:
        return
    p, r = nets["plain"]["shape"], nets["residual"]["shape"]
    st.subheader(t("landscape.findings"))
    # Shares to 0.1 points, as the table: whole percents could read "1% and 4%, no more than 2.5
    # points apart" for 1.4% and 3.9%.
    numbers = dict(pm=p["local_minima_2d"], rm=r["local_minima_2d"], pb=_share(p["curve_down_fraction"]),
                   rb=_share(r["curve_down_fraction"]), tol=f"{100 * landscape.BENDING_TOLERANCE:.1f}", bowl=landscape.BOWL_MINIMA,
                   plain=terms.net_label(nets["plain"]["label"]), residual=terms.net_label(nets["residual"]["label"]))
    for code, outcome in verdict["outcomes"].items():
        verdicts.box(outcome, t(verdicts.key(f"landscape.check.{code}", outcome), **numbers))
    plain = nets["plain"]
    # A finding held on one comparison only says only that half (beside the check that did not hold).
    part = landscape.held_in_part(verdict)
    part = f".{part}" if part else ""
    if twins.known_not_twins(plain["run_id"], nets["residual"]["run_id"]):
        # Not twins: a smoother slice may come from the other differences, and the closings
        # below speak of twins' steps and dataset.
        st.markdown(t(f"landscape.held{part}.other", rm=numbers["rm"]) if verdict["held"]
                    else t("landscape.not_held.other"))
        return
    if part:
        st.markdown(t(f"landscape.held{part}", rm=numbers["rm"]))
        return
    st.markdown(t(f"landscape.{landscape.closing(verdict['finding'], plain.get('depth', 0))}",
                  depth=plain.get("depth", ""), steps=plain.get("train_steps", ""),
                  dataset=t(f"landscape.dataset.{plain.get('dataset')}")))


def table(nets: list[dict]) -> None:
    rows, gaps = [], []
    for n in nets:
        s = n["shape"] or {}
        rows.append({t("landscape.col.net"): terms.net_label(n["label"]),
                     t("landscape.col.centre"): _num(s.get("centre_loss")),
                     t("landscape.col.max"): _num(s.get("max_loss")),
                     t("landscape.col.minima"): s.get("local_minima_2d", "–"),
                     t("landscape.col.bending"): f"{_share(s.get('curve_down_fraction'))}%",
                     t("landscape.col.seconds"): f"{n['seconds']:.1f}"})
        # Points whose loss overflowed are stored as None: blank on the map and left out of the
        # "highest loss", which must then say so.
        grid = n["surface"]["loss"]
        missing = sum(v is None for row in grid for v in row)
        if missing:
            gaps.append(t("landscape.not_finite", net=terms.net_label(n["label"]), n=f"{missing:,}",
                          total=f"{sum(len(row) for row in grid):,}"))
    st.table(rows, hide_index=True)
    st.caption(t("landscape.bending_help", ratio=landscape.CURVE_DOWN_RATIO))
    for gap in gaps:
        st.caption(gap)


def _share(fraction) -> str:
    """A share of the grid in percent, to the 0.1 point the bending tolerance is stated in."""
    return f"{100 * (fraction or 0):.1f}"


def _num(v) -> str:
    return "–" if v is None else f"{v:.3g}"


def show(result: dict) -> None:
    nets, charted = terms.study_nets(result)
    st.subheader(t("landscape.line_title"))
    st.plotly_chart(study_charts.lines(charted, words(study_charts.WORDS)), config=exports.png_config("landscape-1d"),
                    key="landscape_line_chart")
    st.subheader(t("landscape.surface_title"))
    three_d = st.toggle(t("landscape.three_d"), **keep("landscape_3d"))
    st.caption(t("landscape.surface_help", cap=int(10 ** study_charts.LOSS_CAP_LOG10)))
    st.plotly_chart(study_charts.surfaces(charted, words=words(study_charts.WORDS), three_d=three_d), config=exports.png_config("landscape-2d"),
                    key="landscape_surface_chart")
    table(nets)
    findings(result)
    total, per_net = terms.study_seconds(result["seconds"], [n["seconds"] for n in nets])
    st.caption(terms.study_measured("landscape.measured", nets, "n_images", grid=result["grid"], seconds=total,
                                    device=terms.device_name(result["device"]), per_net=per_net))


with guard():
    trained = twins.study_intro("landscape")
    if trained:
        params = settings()
        result = twins.study_ui("landscape", "landscape", trained, params)
        if result:
            show(result)
    st.divider()
    st.markdown(t("landscape.paper"))
