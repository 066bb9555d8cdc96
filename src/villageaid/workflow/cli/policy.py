"""The policy command: counterfactual allocations within counties (Table 9 and its curve)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from villageaid.workflow.cli.common import (
    EXIT_OK,
    UserError,
    add_executor_options,
    log,
    study_workers,
)


def cmd_policy(args: argparse.Namespace) -> int:
    """Counterfactual allocation policies within counties (Table 9 and the fairness–efficiency frontier)."""
    from villageaid.analysis.policy import PolicyInputError, simulate_policies
    from villageaid.analysis.policy_inputs import assignments_policy, counties_from_panel, estimate_policy_models
    from villageaid.estimators.limits import DATA_LIMITS
    from villageaid.io.assignments import read_assignments
    from villageaid.registry import OUTPUTS
    from villageaid.report.context import OutputContext
    from villageaid.workflow.outputs import write_output

    if args.draws < 0:
        raise UserError("--draws must be zero or more")
    if not args.cap >= 1:
        raise UserError(f"--cap must be at least 1 (a multiple of the county's mean funding), got {args.cap}")
    try:
        panel = pd.read_parquet(args.panel)
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read panel {args.panel}: {exc}") from exc
    try:
        counties = counties_from_panel(panel)
        models = estimate_policy_models(panel)
    except DATA_LIMITS as exc:
        raise UserError(f"the policy models cannot be estimated from this panel ({type(exc).__name__}: {exc})") \
            from exc
    custom = None
    if args.assignments is not None:
        try:
            custom = assignments_policy(read_assignments(args.assignments), counties, source=str(args.assignments))
        except PolicyInputError as exc:
            raise UserError(str(exc)) from exc
    workers, scheduler = study_workers(args)
    log(f"policy: {len(counties)} counties, {sum(c.size for c in counties):,} villages, {args.draws} draws")
    result = simulate_policies(counties, models, draws=args.draws, seed=args.seed, cap=args.cap, workers=workers,
                               scheduler=scheduler, custom=custom, pool=args.pool)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for output in OUTPUTS:  # the paper's outputs of the policy analysis (Table 9 and the frontier)
        if output.needs == ("policy",):
            written += write_output(output, OutputContext(output, panel, {"policy": result}), out, out)
    log(f"policy: done on {result.backend} in {result.seconds:.1f} s; wrote {', '.join(p.name for p in written)}")
    print(result.table.pivot(index="policy", columns="measure", values="estimate").round(3).to_string())
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add this family's commands to the ``villageaid`` parser."""
    p = sub.add_parser("policy", help="counterfactual allocation policies within counties (Table 9, frontier)",
                       description="Reassign the transition-period first-secretary posts within each county under "
                                   "the source paper's alternatives (equal split, strong alliance, need-based "
                                   "matching, county pooling, strong cadres to key villages, or your own "
                                   "assignments), predict funding and collective income from the estimated "
                                   "allocation and H10 return models, and compare gains and fairness with "
                                   "intervals over coefficient draws. Counties run serially, on a local Dask "
                                   "cluster or an existing one, with identical results.")
    p.add_argument("panel", type=Path, help="panel (Parquet) from 'villageaid panel'")
    p.add_argument("--draws", type=int, default=200, help="parametric-bootstrap draws of the coefficients (200)")
    p.add_argument("--cap", type=float, default=2.0,
                   help="county pooling: no village above this multiple of its county's mean funding (2)")
    p.add_argument("--assignments", type=Path, default=None,
                   help="your own policy: CSV with columns village_id, unit_id (one unit per village; a unit "
                        "serves at most as many villages of a county as it does now)")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    add_executor_options(p)
    p.set_defaults(func=cmd_policy)
