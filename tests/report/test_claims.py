"""Table 0: every argument of the source paper has a test of it as stated, or says what data would test it."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from villageaid.registry import ARGUMENTS, KEY_ESTIMATES, TABLE0
from villageaid.report.claims import key_verdicts

SEED_MAP = Path(__file__).resolve().parents[3] / "shared" / "SEED_MAP.md"


def test_every_argument_is_tested_or_says_what_would_test_it() -> None:
    assert [a.number for a in ARGUMENTS] == list(range(1, 20))
    for argument in ARGUMENTS:
        assert argument.keys or argument.untestable, argument.number
        assert all(key in KEY_ESTIMATES for key in argument.keys), argument.number
        if not argument.keys:
            assert "needs" in argument.untestable or "counterfactual" in argument.untestable.lower(), argument.number
    # every claim the package signs belongs to some argument, so the claims table shows its verdict
    listed = {key.id for argument in ARGUMENTS for key in argument.keys}
    signed = {key.id for key in KEY_ESTIMATES if key.claim != 0}
    assert signed - listed <= {"allocation.campaign_ppml.rich_village.estimate",
                               "allocation.transition_ppml.rich_village.estimate",
                               "allocation.transition_ppml.city.estimate", "logic_shift.shift_ppml.post_rich.estimate",
                               "logic_shift.shift_asinh.post_rich.estimate",
                               "returns.h10_iv_log_collective_income.funding.estimate",
                               "returns.h10_heterogeneity_log_collective_income.interaction.estimate"}


def test_the_arguments_follow_the_map_of_the_source_paper() -> None:
    if not SEED_MAP.is_file():
        pytest.skip("the map of the source paper's arguments lives beside the repository, for its developers")
    rows = [line for line in SEED_MAP.read_text(encoding="utf-8").splitlines() if re.match(r"\| \d+ \|", line)]
    assert len(rows) == len(ARGUMENTS)


def test_verdicts_are_read_from_the_tables(tmp_path: Path) -> None:
    key = next(k for a in ARGUMENTS for k in a.keys if k.claim > 0 and k.interval is not None
               and not isinstance(k.source, type(TABLE0)))
    row = {"model_id": key.source.id, **key.where, "estimate": 0.5, "conf_low": 0.1, "conf_high": 0.9,
           "std_error": 0.2}
    pd.DataFrame([row]).to_csv(tmp_path / key.file, index=False)
    verdicts = key_verdicts(tmp_path).set_index("key")
    assert (verdicts.loc[[key.id], "verdict"] == "supported").all()
    missing = sorted({k.id for a in ARGUMENTS for k in a.keys if k.file != key.file})
    assert (verdicts.loc[missing, "verdict"] == "not estimated").all()
    assert (verdicts.loc[verdicts.index == "", "verdict"] == "not testable with these records").all()


def test_a_table_of_text_is_a_longtable_of_wrapped_columns() -> None:
    from villageaid.report.render import FormattedTable

    table = FormattedTable("Table 0. Claims", "tab:claims", ["#", "Argument"], [["1", "雨露均沾 & 10%"], ["Panel"]],
                           [], ["A note."], paragraph_widths=("0.1", "0.8"))
    latex = table.to_latex()
    assert (r"\begin{longtable}{>{\raggedright\arraybackslash\hspace{0pt}}p{0.1\linewidth}"
            r">{\raggedright\arraybackslash\hspace{0pt}}p{0.8\linewidth}}") in latex and r"\endhead" in latex
    assert r"\renewcommand{\thetable}{0}" in latex and r"雨露均沾 \& 10\%" in latex
    assert latex.count(r"\begingroup") == latex.count(r"\endgroup") == 1
    assert "adjustbox" not in latex
    bad = FormattedTable("Table 0. Claims", "tab:claims", ["#", "Argument"], [], paragraph_widths=("1",))
    with pytest.raises(ValueError, match="1 paragraph widths for 2 columns"):
        bad.to_latex()
