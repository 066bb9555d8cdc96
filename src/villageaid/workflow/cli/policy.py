"""The policy command: budget-neutral counterfactual allocations within counties (Table 9 and the cap curve)."""

from __future__ import annotations

import argparse
from pathlib import Path

from villageaid.workflow.cli.common import (
    EXIT_OK,
    MAX_POLICY_DRAWS,
    UserError,
    add_executor_options,
    add_lists_option,
    bounded,
    log,
    read_lists_option,
    read_panel_option,
    refuse_overlap,
    refuse_unreadable_note,
    study_workers,
)


def cmd_policy(args: argparse.Namespace) -> int:
    """Counterfactual allocation policies within counties (Table 9 and county pooling's cap curve)."""
    from villageaid.analysis.policy import PolicyInputError, PolicySettings, simulate_policies
    from villageaid.analysis.policy_inputs import (
        assignments_policy,
        counties_from_panel,
        estimate_policy_models,
        read_policy_panel,
    )
    from villageaid.estimators.limits import DATA_LIMITS
    from villageaid.io.assignments import read_assignments
    from villageaid.io.problems import DataError
    from villageaid.io.write import staged_folder
    from villageaid.registry import OUTPUTS
    from villageaid.report.context import OutputContext
    from villageaid.report.tables import data_note
    from villageaid.workflow.outputs import write_output

    refuse_overlap("policy", {"--out": args.out}, {"PANEL": args.panel, "--lists": args.lists,
                                                   "--assignments": args.assignments})
    try:
        settings = PolicySettings(epsilon=args.epsilon, bottom_line=args.bottom_line, project_size=args.project_size,
                                  cap=args.cap, opening_share=args.opening_share,
                                  ordinary_team_size=args.ordinary_team)
    except ValueError as exc:
        raise UserError(f"bad policy option: {exc}") from exc
    # only the columns the simulator uses: the national panel is large
    panel = read_panel_option(args.panel, "policy", read_policy_panel)
    refuse_unreadable_note(data_note(panel))  # the cap curve's note names the records: checked before estimating
    custom_table = None
    if args.assignments is not None:  # read (and refused) before hours of estimation, not after
        try:
            custom_table = read_assignments(args.assignments)
        except DataError as exc:
            raise UserError(f"policy: the assignments {args.assignments} cannot be read:\n{exc.report.format()}") \
                from exc
    lists = read_lists_option(args.lists, "policy")
    try:
        counties = counties_from_panel(panel, lists)
    except PolicyInputError as exc:
        raise UserError(f"the two lists contradict the panel:\n{exc}") from exc
    except DATA_LIMITS as exc:
        raise UserError(f"the policy simulator cannot use this panel ({type(exc).__name__}: {exc})") from exc
    try:
        models = estimate_policy_models(panel)
    except DATA_LIMITS as exc:
        raise UserError(f"the policy models cannot be estimated from this panel ({type(exc).__name__}: {exc})") \
            from exc
    custom = None
    if custom_table is not None:
        try:
            custom = assignments_policy(custom_table, counties, source=str(args.assignments))
        except PolicyInputError as exc:
            raise UserError(str(exc)) from exc
    workers, scheduler = study_workers(args)
    log(f"policy: {len(counties)} counties, {sum(c.size for c in counties):,} villages, {args.draws} draws")
    result = simulate_policies(counties, models, draws=args.draws, seed=args.seed, settings=settings,
                               workers=workers, scheduler=scheduler, custom=custom, pool=args.pool)
    written = []
    with staged_folder(Path(args.out)) as staging:  # all the files or none
        for output in OUTPUTS:  # the paper's outputs of the policy analysis (Table 9 and the cap curve)
            if output.needs == ("policy",):
                written += write_output(output, OutputContext(output, panel, {"policy": result}), staging, staging)
    log(f"policy: done on {result.backend} in {result.seconds:.1f} s; wrote {', '.join(p.name for p in written)}")
    shown = ["welfare_change", "collective_income_change", "villages_below_line", "concentration_by_need",
             "city_posts_rich_share", "city_posts_high_need_share", "county_total_difference"]
    print(result.estimates()[shown].round(3).to_string())
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add this family's commands to the ``villageaid`` parser."""
    p = sub.add_parser("policy", help="budget-neutral counterfactual allocation policies (Table 9, cap curve)",
                       description="Reallocate the transition-period first-secretary posts and money within each "
                                   "county, keeping each county's total, under the source paper's two logics "
                                   "(the campaign's 雨露均沾: bottom-line, need-graded targeting; the strong "
                                   "alliance) and its recommendations (precise matching of the two lists, county "
                                   "pooling, fewer but stronger cadres, 开源), or your own assignments; predict "
                                   "per-capita and collective income under four return shapes and compare "
                                   "need-weighted welfare, the bottom line and who holds the high-level posts, "
                                   "with cross-fitted intervals over coefficient draws. Counties run serially, on "
                                   "a local Dask cluster or an existing one, with identical results.")
    p.add_argument("panel", type=Path, help="panel (Parquet) from 'villageaid panel'")
    add_lists_option(p)
    p.add_argument("--draws", type=bounded("--draws", int, 0, MAX_POLICY_DRAWS,
                                           "each draw re-solves every county: work and memory grow with draws × "
                                           "counties"), default=200,
                   help=f"parametric-bootstrap draws of the coefficients (200; at most {MAX_POLICY_DRAWS:,})")
    p.add_argument("--cap", type=bounded("--cap", float, 1, 1000, "a multiple of the county's mean funding"),
                   default=2.0,
                   help="county pooling: no village above this multiple of its county's mean funding (2)")
    p.add_argument("--epsilon", type=bounded("--epsilon", float, 0, 100, "inequality aversion"), default=1.0,
                   help="inequality aversion of the need-weighted welfare (1)")
    p.add_argument("--bottom-line", type=bounded("--bottom-line", float, 0, 1e7, "元 per person a year",
                                                 low_open=True), default=None,
                   help="bottom line of per-capita income in 元 (default: 0.8 × the median village's)")
    p.add_argument("--project-size", type=bounded("--project-size", float, 0, 1e6, "万元", low_open=True),
                   default=25.0, help="size of an indivisible project, 万元 (25)")
    p.add_argument("--opening-share", type=bounded("--opening-share", float, 0, 1, "a share of the county's "
                                                   "funding"), default=0.1,
                   help="开源: added channel as a share of each county's funding (0.1)")
    p.add_argument("--ordinary-team", type=bounded("--ordinary-team", int, 1, 50, "cadres a village"), default=2,
                   help="the cadre reform's team size for ordinary villages (2)")
    p.add_argument("--assignments", type=Path, default=None,
                   help="your own policy: CSV with columns village_id, unit_id and optionally funding (万元 a "
                        "year; each county's total must stay the status quo's). One unit per village; a unit "
                        "serves at most as many villages of a county as it does now")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    add_executor_options(p)
    p.set_defaults(func=cmd_policy)
