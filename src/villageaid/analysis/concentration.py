"""H7: whether funding concentrates on the advantaged after 2021 — concentration by need and by endowment.

A Gini of funding cannot see a flip from pro-poor to pro-rich targeting: the same unequal distribution can favour
the poorest or the richest. The concentration index ranks villages first and asks where the money sits:

* ranked by **endowment** from the least to the best endowed, a positive index means funding sits with the
  better endowed;
* ranked by **need** from the neediest to the least needy, a positive index means funding sits with the less
  needy (a negative one is pro-poor targeting, 雨露均沾).

Both are computed for every year in the standard form (Kakwani, Wagstaff & van Doorslaer 1997) and in Wagstaff's
(2005) and Erreygers' (2009) corrected forms with funding bounded by 0 and the largest amount of any village-year
(the corrections for a bounded variable; funding has no natural upper bound, so read them as checks), with percentile
bootstrap intervals resampling villages (each keeps all its years; ranks are recomputed in every resample). The
claim is the change at 2021: the mean over the transition's years minus the mean over the campaign's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from villageaid.estimators.concentration import concentration_bootstrap
from villageaid.estimators.limits import MissingDataError, NoVariationError

#: The rankings: the panel column, the direction of ranking and how a positive index reads.
RANKINGS = {
    "endowment": ("endowment_index", +1, "funding concentrated among the better endowed"),
    "need": ("need_index", -1, "funding concentrated among the less needy"),
}
#: The forms reported.
FORMS = ("standard", "wagstaff", "erreygers")


@dataclass(frozen=True)
class ConcentrationResults:
    """Concentration indices of funding by year and their change at 2021, per ranking and form.

    ``by_year`` has columns ranking, form, year, period, estimate, conf_low, conf_high, std_error, villages;
    ``change`` has ranking, form, campaign, transition, change, conf_low, conf_high, std_error.
    """

    by_year: pd.DataFrame
    change: pd.DataFrame

    def tidy(self) -> pd.DataFrame:
        """Return both tables stacked, with a ``table`` column ("by_year" or "change")."""
        return pd.concat([self.by_year.assign(table="by_year"), self.change.assign(table="change")],
                         ignore_index=True)


def concentration_models(panel: pd.DataFrame, *, draws: int = 999, seed: int = 11) -> ConcentrationResults:
    """Estimate the H7 concentration indices of funding by need and by endowment.

    Parameters
    ----------
    panel : DataFrame
        The village × year panel (campaign and transition years are used).
    draws : int
        Bootstrap draws (resampling villages).
    seed : int
        Seed of the bootstrap.

    Raises
    ------
    MissingDataError
        Without campaign and transition years, or without any ranking variable.
    """
    frame = panel.loc[panel["period"].isin(["campaign", "transition"])]
    periods = frame.drop_duplicates("year").set_index("year")["period"].astype(str).sort_index()
    if not {"campaign", "transition"} <= set(periods):
        raise MissingDataError("the concentration indices need campaign and transition years; these data have "
                               f"{', '.join(sorted(set(periods))) or 'neither'}")
    funding = frame.pivot(index="village_id", columns="year", values="funding_total").sort_index(axis=1)
    years = funding.columns.to_numpy()
    labels = periods.reindex(years).to_numpy()
    values = funding.to_numpy(dtype=float)
    if np.isnan(values).any():
        raise MissingDataError("the concentration indices need every village's funding in every year")
    by_village = frame.drop_duplicates("village_id").set_index("village_id")
    top = float(values.max())
    if top <= 0:
        raise NoVariationError("no village received any funding: nothing to concentrate")
    by_year, change, missing = [], [], []
    for ranking, (column, direction, _) in RANKINGS.items():
        if column not in by_village or by_village[column].isna().all():
            missing.append(column)
            continue
        rank_by = by_village[column].reindex(funding.index).to_numpy(dtype=float)
        keep = np.isfinite(rank_by)
        for form in FORMS:
            table = concentration_bootstrap(values[keep], direction * rank_by[keep], draws=draws, seed=seed,
                                            form=form, bounds=None if form == "standard" else (0.0, top),
                                            groups=labels)
            yearly = table.loc[table["column"] != "change"].reset_index(drop=True)
            by_year.append(pd.DataFrame({
                "ranking": ranking, "form": form, "year": years.astype(int), "period": labels,
                "estimate": yearly["estimate"].to_numpy(float), "conf_low": yearly["conf_low"].to_numpy(float),
                "conf_high": yearly["conf_high"].to_numpy(float), "std_error": yearly["std_error"].to_numpy(float),
                "villages": int(keep.sum())}))
            row = table.loc[table["column"] == "change"].iloc[0]
            estimates = yearly["estimate"].to_numpy(float)
            change.append({"ranking": ranking, "form": form,
                           "campaign": float(estimates[labels == "campaign"].mean()),
                           "transition": float(estimates[labels == "transition"].mean()),
                           "change": float(row["estimate"]), "conf_low": float(row["conf_low"]),
                           "conf_high": float(row["conf_high"]), "std_error": float(row["std_error"])})
    if not change:
        raise MissingDataError(f"the concentration indices need a ranking variable ({', '.join(missing)}); these "
                               "data have neither")
    return ConcentrationResults(pd.concat(by_year, ignore_index=True), pd.DataFrame(change))
