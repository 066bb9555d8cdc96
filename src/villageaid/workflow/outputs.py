"""Build the paper's tables and figures from a panel, as the registry declares them. Knows output paths.

The registry (:mod:`villageaid.registry`) declares every analysis, model and output once; this module runs them:
each analysis an output needs is estimated once per build (its own needs first) and shared by every output
that needs it, and each output's writer formats what the analyses estimated. What the data cannot support (a
declared data limit, :data:`~villageaid.estimators.limits.DATA_LIMITS`) becomes an output that says "not
estimated" and why; any other exception is a bug and stops the build (:class:`OutputError`), naming the output.
"""

from __future__ import annotations

import importlib
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from villageaid.analysis.truth import panel_truth
from villageaid.config import DEFAULT_SEED
from villageaid.estimators.limits import DATA_LIMITS
from villageaid.estimators.vcov import CRV1, CRV3, VarianceEstimator
from villageaid.io.write import write_csv, write_text
from villageaid.registry import ANALYSES, OUTPUTS, OUTPUTS_BY_STEM, AnalysisSpec, OutputSpec
from villageaid.report.context import OutputContext
from villageaid.report.render import FormattedTable
from villageaid.report.tables import write_table

#: The variances the paper's village models can be built with (``make all VCOV=…``, ``build --vcov``): the exact
#: cluster jackknife by village (where it is undefined a model falls back to CRV1, marked), CRV1 by village, or
#: CRV1 by county; ``auto`` (the default) chooses by the number of counties (:func:`resolve_variance`).
PAPER_VARIANCES = {"CRV3": CRV3("village"), "CRV1": CRV1("village"), "CRV1-county": CRV1("county")}
#: From this many counties on, ``auto`` clusters by county: enough clusters for county-level inference.
COUNTY_CLUSTERS = 30


def resolve_variance(name: str, panel: pd.DataFrame) -> str:
    """Return the variance a build uses: ``name``, or the one ``auto`` chooses for this panel.

    ``auto``: the exact cluster jackknife by village with fewer than :data:`COUNTY_CLUSTERS` counties; CRV1 by
    county with more (county-level shocks are then the ones to allow for, and there are enough clusters).
    """
    if name != "auto":
        paper_variance(name)
        return name
    return "CRV1-county" if panel["county"].nunique() >= COUNTY_CLUSTERS else "CRV3"


def paper_variance(name: str) -> VarianceEstimator:
    """Return the paper's variance by name ("CRV3", "CRV1" or "CRV1-county"), or say which names exist."""
    if name not in PAPER_VARIANCES:
        raise ValueError(f"unknown variance {name!r} for the paper's tables: use auto or one of "
                         f"{', '.join(PAPER_VARIANCES)}")
    return PAPER_VARIANCES[name]


@dataclass(frozen=True)
class BuildSettings:
    """The options of a build that analyses take (:attr:`AnalysisSpec.settings` names them).

    Attributes
    ----------
    bootstrap_draws : int
        Wild cluster bootstrap draws (0 skips the bootstrap).
    vcov : {"CRV3", "CRV1", "CRV1-county"}
        Variance of the H1–H4 models (:data:`PAPER_VARIANCES`), already resolved from ``auto``.
    seed : int
        The root seed; each analysis adds its own offset, so every analysis has its own fixed seed.
    policy_draws : int
        Coefficient draws of the policy simulator.
    policy_lists : PolicyLists or None
        The two lists (两张清单) and the units' current posts for the policy simulator
        (:func:`villageaid.analysis.policy_inputs.read_policy_lists`); None: stand-ins from the panel.
    """

    bootstrap_draws: int = 9999
    vcov: str = "CRV3"
    seed: int = DEFAULT_SEED
    policy_draws: int = 200
    policy_lists: object = None

    def value(self, setting: str, analysis: AnalysisSpec) -> object:
        """Return the value of a named setting for an analysis."""
        # randomisation tests refit a model per permutation: at most 999, none when the bootstrap is off
        values = {"bootstrap_draws": self.bootstrap_draws, "small_draws": min(self.bootstrap_draws, 999) or 199,
                  "randomization_draws": min(self.bootstrap_draws, 999),
                  "policy_draws": self.policy_draws, "seed": self.seed + analysis.seed_offset,
                  "vcov": paper_variance(self.vcov), "policy_lists": self.policy_lists}
        return values[setting]


class OutputError(Exception):
    """An output failed for a reason that is not a data limit: a bug, reported with the output's stem."""

    def __init__(self, stem: str, message: str, details: str = "") -> None:
        super().__init__(f"{stem}: {message}")
        self.stem, self.details = stem, details


class _RemoteTraceback(Exception):
    """The traceback of an error raised in a worker process (shown with ``--debug``)."""

    def __str__(self) -> str:
        return "\n" + str(self.args[0])


def resolve(reference: str) -> Callable:
    """Return the function a declaration names as ``module:function``."""
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)


def analyses_needed(outputs: Sequence[OutputSpec]) -> list[str]:
    """Return every analysis the outputs need, their own needs and uses first, each once."""
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        for before in (*ANALYSES[name].needs, *ANALYSES[name].uses):
            visit(before)
        order.append(name)

    for output in outputs:
        for need in output.needs:
            visit(need)
    return order


def run_analysis(name: str, panel: pd.DataFrame, settings: BuildSettings, results: dict) -> object:
    """Estimate one analysis with its options, settings and the results of the analyses it needs."""
    spec = ANALYSES[name]
    options = dict(spec.options)
    options.update({keyword: settings.value(setting, spec) for keyword, setting in spec.settings.items()})
    options.update({need: results[need] for need in spec.needs})
    options.update({use: results.get(use) for use in spec.uses})
    return resolve(spec.function)(panel, **options)


class _Estimates:
    """The analyses of one process: each estimated at most once, its data limit remembered."""

    def __init__(self, panel: pd.DataFrame, settings: BuildSettings, log: Callable[[str], None]) -> None:
        self.panel, self.settings, self.log = panel, settings, log
        self.results: dict[str, object] = {}
        self.failures: dict[str, str] = {}

    def ensure(self, output: OutputSpec) -> list[str]:
        """Estimate what ``output`` needs; return why it cannot be written (an empty list when it can)."""
        self.estimate(analyses_needed([output]), output.stem)
        return list(dict.fromkeys(self.failures[n] for n in output.needs if n in self.failures))

    def estimate(self, names: Sequence[str], stem: str) -> None:
        """Estimate the analyses ``names`` (their needs first) not estimated yet; ``stem`` names a bug's output."""
        for name in names:
            if name in self.results or name in self.failures:
                continue
            missing = [n for n in ANALYSES[name].needs if n in self.failures]
            if missing:
                self.failures[name] = "; ".join(self.failures[n] for n in missing)
                continue
            try:
                self.results[name] = run_analysis(name, self.panel, self.settings, self.results)
            except DATA_LIMITS as exc:
                self.failures[name] = f"{name} could not be estimated ({type(exc).__name__}: {exc})"
                self.log(f"{name}: not estimated on these data: {type(exc).__name__}: {exc}")
                continue
            except Exception as exc:
                raise OutputError(stem, f"the analysis {name!r} failed: {type(exc).__name__}: {exc} (a bug, "
                                  "not a property of the data)", traceback.format_exc()) from exc
            for message in getattr(self.results[name], "warnings", ()):
                self.log(f"{name}: warning: {message}")


def write_output(output: OutputSpec, context: OutputContext, tables_dir: Path, figures_dir: Path) -> list[Path]:
    """Format one output with its writer and write its files (a table: .csv, .md, .tex; a figure: .png, .pdf, .csv)."""
    from villageaid.report.figures import save_figure

    drawn = resolve(output.writer)(context)
    if output.kind == "table":
        return write_table(output.stem, *drawn, tables_dir)
    figure, data = drawn
    paths = save_figure(figure, figures_dir / output.stem)
    if output.data_stem != "" and data is not None:
        paths.append(write_csv(data, figures_dir / f"{output.data_stem or output.stem}.csv"))
    return paths


def output_files(output: OutputSpec) -> list[str]:
    """Return the names of the files an output writes (a table: .csv, .md, .tex; a figure: .png, .pdf, .csv)."""
    if output.kind == "table":
        return [f"{output.stem}{suffix}" for suffix in (".csv", ".md", ".tex")]
    data = [f"{output.data_stem or output.stem}.csv"] if output.data_stem != "" else []
    return [f"{output.stem}.png", f"{output.stem}.pdf", *data]


#: Files every build writes beside the tables: its options, the key numbers and the paper's generated text.
BUILD_FILES = ("build_options.json", "key_numbers.tex", "paper_text.tex", "paper_text_zh.tex")


def _short_reason(reason: str) -> str:
    """Shorten a reason for a table cell or a figure."""
    return reason if len(reason) <= 80 else reason[:77] + "..."


def write_not_estimated(output: OutputSpec, reason: str, context: OutputContext, tables_dir: Path,
                        figures_dir: Path) -> list[Path]:
    """Write an output that says it could not be estimated on these data, and why."""
    if output.kind == "table":
        formatted = FormattedTable(output.title, output.label or f"tab:{output.stem}", ["", "Not estimated"],
                                   [["These data do not support this analysis", _short_reason(reason)]],
                                   notes=[f"Reason: {reason}", context.note])
        tidy = pd.DataFrame({"status": ["not estimated"], "reason": [reason]})
        return write_table(output.stem, tidy, formatted, tables_dir)
    import matplotlib.pyplot as plt

    from villageaid.report.figures import save_figure

    figure, ax = plt.subplots(figsize=(6, 1.6))
    ax.axis("off")
    ax.text(0.5, 0.6, f"{output.title}: not estimated on these data", ha="center", va="center", fontsize=10)
    ax.text(0.5, 0.25, _short_reason(reason), ha="center", va="center", fontsize=8, color="0.3")
    return save_figure(figure, figures_dir / output.stem)


def _write_or_explain(output: OutputSpec, context: OutputContext, reason: str, tables_dir: Path,
                      figures_dir: Path, log: Callable[[str], None]) -> list[Path]:
    """Write an output, or, where its analyses or its writer met a data limit, the reason it is not estimated.

    Any other exception from the writer is a bug: :class:`OutputError`, naming the output.
    """
    if not reason:
        try:
            return write_output(output, context, tables_dir, figures_dir)
        except DATA_LIMITS as exc:
            reason = f"{type(exc).__name__}: {exc}"
        except Exception as exc:
            raise OutputError(output.stem, f"its writer ({output.writer}) failed: {type(exc).__name__}: {exc} "
                              "(a bug, not a property of the data)", traceback.format_exc()) from exc
    paths = write_not_estimated(output, reason, context, tables_dir, figures_dir)
    log(f"{output.stem}: not estimated on these data ({reason}); wrote the explanation")
    return paths


def _write_group(outputs: Sequence[OutputSpec], estimates: _Estimates, tables_dir: Path,
                 figures_dir: Path) -> dict[str, list[Path]]:
    """Write outputs in order, estimating what they need once; a data limit is written as "not estimated"."""
    written: dict[str, list[Path]] = {}
    for output in outputs:
        started = time.perf_counter()
        reason = "; ".join(estimates.ensure(output))
        context = OutputContext(output, estimates.panel, estimates.results)
        written[output.stem] = _write_or_explain(output, context, reason, tables_dir, figures_dir, estimates.log)
        estimates.log(f"{output.stem}: wrote {', '.join(p.name for p in written[output.stem])} in "
                      f"{time.perf_counter() - started:.2f} s")
    return written


def groups_sharing_analyses(outputs: Sequence[OutputSpec]) -> list[list[OutputSpec]]:
    """Split outputs into groups that share no analysis outside the repeatable ones, in order.

    An analysis that needs (or uses) another is grouped with it. Outputs needing no analysis form one group;
    the short allocation models (``AnalysisSpec.repeatable``) may be estimated in two groups.
    """
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        while parent.setdefault(name, name) != name:
            name = parent[name]
        return name

    def linking(output: OutputSpec) -> list[str]:
        needed = analyses_needed([output])
        return [n for n in needed if not ANALYSES[n].repeatable] or needed

    for output in outputs:
        needs = linking(output)
        for need in needs[1:]:
            parent[root(need)] = root(needs[0])
    groups: dict[str, list[OutputSpec]] = {}
    for output in outputs:
        key = root(linking(output)[0]) if output.needs else ""
        groups.setdefault(key, []).append(output)
    return list(groups.values())


#: What worker processes share with the process that forked them: the panel and the estimates made so far.
_SHARED: dict[str, object] = {}


def _group_task(seed: int, stems: tuple[str, ...], returned: tuple[str, ...], tables_dir: Path,
                figures_dir: Path) -> tuple[dict[str, list[Path]], list[str], tuple[str, str, str] | None,
                                            tuple[dict[str, object], dict[str, str]]]:
    """Write one group of outputs (a task of the executor); return the paths, log lines and a bug if any.

    The analyses named in ``returned`` (those that outputs written in the parent process need: the outputs
    written from the tables, and those whose analyses are estimated in several tasks) are estimated here too and
    returned with the data limits met: (results, failures) by analysis.
    """
    messages: list[str] = []
    estimates: _Estimates = _SHARED["estimates"]  # type: ignore[assignment]
    estimates.log = messages.append  # this process's estimates: shared by the groups it writes
    try:
        written = _write_group([OUTPUTS_BY_STEM[s] for s in stems], estimates, tables_dir, figures_dir)
        estimates.estimate(returned, stems[0] if stems else "the analyses of later outputs")
    except OutputError as exc:
        return {}, messages, (exc.stem, str(exc), exc.details), ({}, {})
    return written, messages, None, ({n: estimates.results[n] for n in returned if n in estimates.results},
                                     {n: estimates.failures[n] for n in returned if n in estimates.failures})


def _is_bug(index: int, outcome: tuple[str, object]) -> bool:
    """Whether a group task's outcome stops the build: the task failed, or an output in it met a bug."""
    return outcome[0] != "ok" or outcome[1][2] is not None  # type: ignore[index]


#: About how many seconds writing one output takes on the default edition, one core: a figure is drawn twice (PNG
#: and PDF), a table is formatted from numbers already estimated.
WRITE_SECONDS = {"figure": 0.5, "table": 0.05}


def task_seconds(task: tuple[tuple[str, ...], tuple[str, ...]]) -> float:
    """Estimate how long a group task takes: the declared cost of the analyses it estimates and of its writes."""
    stems, returned = task
    outputs = [OUTPUTS_BY_STEM[stem] for stem in stems]
    names = dict.fromkeys([*analyses_needed(outputs), *returned])
    return sum(ANALYSES[name].cost for name in names) + sum(WRITE_SECONDS[o.kind] for o in outputs)


def longest_first(tasks: Sequence[tuple[tuple[str, ...], tuple[str, ...]]]
                  ) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Order the group tasks longest first (:func:`task_seconds`; ties keep their order).

    Workers take the tasks in this order, so the long ones start first and the short ones fill in at the end
    (longest-processing-time scheduling): on two workers, a 3-second task started last had left the other worker
    idle for 2 seconds; now the two finish within 0.1 s of each other. Each analysis has its own fixed seed (the
    task's own seed is unused), so any order writes the same bytes.
    """
    return sorted(tasks, key=task_seconds, reverse=True)


def analysis_homes(groups: Sequence[Sequence[OutputSpec]]) -> dict[str, int]:
    """Return the index of the group that estimates each analysis, so that each is estimated once.

    An analysis one group needs is estimated there; a repeatable one that several groups need, in the group that
    needs the fewest analyses (the first of those).
    """
    needed = [analyses_needed(group) for group in groups]
    homes: dict[str, int] = {}
    for index in sorted(range(len(groups)), key=lambda i: (len(needed[i]), i)):
        for name in needed[index]:
            homes.setdefault(name, index)
    return homes


def build_outputs(panel: pd.DataFrame, tables_dir: Path, figures_dir: Path, *, bootstrap_draws: int = 9999,
                  log: Callable[[str], None] = print, workers: int | None = 1,
                  outputs: Sequence[OutputSpec] | None = None, vcov: str = "auto",
                  policy_lists: object = None) -> list[Path]:
    """Estimate every analysis once and write the tables, the figures and the paper's generated text.

    An analysis the data do not support (no designated village, one funding record, no variation) is not
    fatal: its tables and figures are written as "not estimated on these data" with the reason, the key
    numbers that depend on it read "n.a.", and the paper's text says so. Any other error stops the build
    (:class:`OutputError`, naming the output).

    Parameters
    ----------
    panel : DataFrame
    tables_dir, figures_dir : Path
    bootstrap_draws : int
    log : callable
        Receives one line per output (and per analysis that could not be estimated).
    workers : int or None
        Processes to spread the outputs over (None: ``VILLAGEAID_THREADS``, else one per core), through
        :func:`villageaid.executor.run_tasks` with forked workers, which inherit the panel; each runs one BLAS
        thread. Outputs that share a long analysis stay in one process, which estimates it once; the short
        allocation models may be estimated in two. Every analysis has its own fixed seed, so the files are the
        same bytes whatever the number of workers. Where processes cannot be forked (not Linux), the outputs
        are written in this process.
    outputs : sequence of OutputSpec, optional
        The outputs to write (all of :data:`~villageaid.registry.OUTPUTS` by default, in their order).
    vcov : {"auto", "CRV3", "CRV1", "CRV1-county"}
        Variance of the H1–H4 models (:func:`resolve_variance`); the one used is recorded in
        ``build_options.json``.
    policy_lists : PolicyLists, optional
        The two lists for the policy simulator (:attr:`BuildSettings.policy_lists`).
    """
    from villageaid.executor import run_tasks
    from villageaid.report.key_numbers import write_key_numbers
    from villageaid.report.paper_text import write_paper_text
    from villageaid.report.paper_text_zh import write_paper_text_zh
    from villageaid.threads import default_workers

    # an unknown name is refused before anything is estimated
    settings = BuildSettings(bootstrap_draws=bootstrap_draws, vcov=resolve_variance(vcov, panel),
                             policy_lists=policy_lists)
    # default: VILLAGEAID_THREADS processes (else one per core), each with one BLAS thread (villageaid.threads)
    workers = default_workers() if workers is None else max(workers, 1)  # 0, as elsewhere: this process
    simulated = panel_truth(panel) is not None
    chosen = [o for o in (OUTPUTS if outputs is None else outputs) if o.editions == "all" or simulated]
    readers = [o for o in chosen if o.reads == "tables"]  # written last, from the others' tidy tables
    groups = sorted(groups_sharing_analyses([o for o in chosen if o.reads == "analyses"]), key=len,
                    reverse=True)  # the long ones do not start last
    written_by_stem: dict[str, list[Path]] = {}
    # Each analysis is estimated in one task (analysis_homes). An output whose analyses are estimated in other
    # tasks (Table 3, the coefficient figure: they share the allocation models with Tables 4 and 8) is written in
    # this process as soon as those tasks have returned them; so are the outputs written from the tables, last.
    homes = analysis_homes(groups)
    late = [o for i, g in enumerate(groups) for o in g if any(homes[n] != i for n in analyses_needed([o]))]
    late_needs = set(analyses_needed(late))
    tasks = [(tuple(o.stem for o in g if o not in late),
              tuple(n for n in analyses_needed(g) if homes[n] == i and n in late_needs)) for i, g in enumerate(groups)]
    tasks = [task for task in tasks if task[0] or task[1]]
    if any(o.needs for o in readers):  # estimated in a task of their own, beside the others
        tasks.append(((), tuple(analyses_needed([o for o in readers if o.needs]))))
    tasks = longest_first(tasks)
    returned_results: dict[str, object] = {}
    returned_failures: dict[str, str] = {}
    pending = list(late)

    def write_late(output: OutputSpec, tables: Path | None = None) -> None:
        started = time.perf_counter()
        context = OutputContext(output, panel, returned_results, tables)
        reason = "; ".join(dict.fromkeys(returned_failures[n] for n in output.needs if n in returned_failures))
        written_by_stem[output.stem] = _write_or_explain(output, context, reason, tables_dir, figures_dir, log)
        log(f"{output.stem}: wrote {', '.join(p.name for p in written_by_stem[output.stem])}"
            + ("" if tables else f" in {time.perf_counter() - started:.2f} s"))

    def collect(index: int, outcome: tuple) -> None:
        paths, messages, bug, (results, failures) = outcome
        written_by_stem.update(paths)
        returned_results.update(results)
        returned_failures.update(failures)
        for message in messages:
            log(message)
        if bug is not None:
            return
        for output in [o for o in pending if all(n in returned_results or n in returned_failures
                                                 for n in analyses_needed([o]))]:
            pending.remove(output)
            write_late(output)

    # Import the analyses and writers once here, before the workers are forked: they inherit them instead of each
    # importing the scientific stack again (this process writes the late outputs anyway).
    for name in analyses_needed(chosen):
        resolve(ANALYSES[name].function)
    for output in chosen:
        resolve(output.writer)
    _SHARED["estimates"] = _Estimates(panel, settings, log)
    try:
        # A bug stops the build at once (tasks not started are not run, forked workers end): the rest of the
        # outputs would be discarded anyway, and on a large ledger they take minutes.
        run = run_tasks(_group_task, len(tasks), root_seed=settings.seed, workers=workers if workers > 1 else 0,
                        pool="fork", progress=False, task_args=tasks, args=(tables_dir, figures_dir),
                        on_result=collect, stop_when=_is_bug)
    finally:
        _SHARED.clear()
    if run.failures:  # the task itself failed outside any output: a bug
        failure = run.failures[0]
        stems = ", ".join(tasks[failure.index][0] or tasks[failure.index][1])
        raise OutputError(stems, failure.error.splitlines()[0], failure.error)
    bugs = [outcome[2] for outcome in run.results if outcome is not None and outcome[2] is not None]
    if bugs:
        stem, message, details = bugs[0]
        error = OutputError(stem, message.removeprefix(f"{stem}: "), details)
        raise error from _RemoteTraceback(details)
    for output in [*pending, *readers]:  # pending: none, unless a task returned without its analyses
        write_late(output, tables_dir if output.reads == "tables" else None)
    written = [path for output in chosen for path in written_by_stem[output.stem]]
    written.append(write_build_options(tables_dir, settings))
    written.append(write_key_numbers(tables_dir))
    written.append(write_paper_text(tables_dir, panel))
    written.append(write_paper_text_zh(tables_dir, panel))  # the Chinese edition's text, same numbers
    log("key numbers and the paper's generated text: written")
    return written


def write_build_options(tables_dir: Path, settings: BuildSettings) -> Path:
    """Record the options that shaped the tables (``build_options.json``, beside them and in the manifest)."""
    import json

    descriptions = {"CRV3": " for the village models of Tables 3-5 (CRV1 where the jackknife is undefined, marked)",
                    "CRV1": " for the village models of Tables 3-5", "CRV1-county": " for the models of Tables 3-5"}
    options = {"vcov": settings.vcov,
               "vcov_description": paper_variance(settings.vcov).label + descriptions[settings.vcov],
               "bootstrap_draws": settings.bootstrap_draws}
    return write_text(tables_dir / "build_options.json", json.dumps(options, indent=1, sort_keys=True) + "\n")


def staged_outputs(panel: pd.DataFrame, tables_dir: Path, figures_dir: Path, *, whole_folders: bool,
                   language: str = "en", **options: object) -> list[Path]:
    """Build the outputs into staging folders and move them in only when every one was written.

    A failure leaves the previous outputs as they were, never half of a new set. ``whole_folders`` replaces the
    two folders entirely (the build: nothing of an earlier build survives); otherwise the files are moved into
    them beside whatever else they hold (the ``tables`` command). ``options`` go to :func:`build_outputs`.
    Raises :class:`~villageaid.report.figures.FontMissingError` when ``language`` needs a font that is missing, or
    the data note (the records' counties, in Chinese) has characters no installed font draws.
    """
    from villageaid.report.figures import note_fonts, use_language
    from villageaid.report.tables import data_note
    from villageaid.workflow.build import staging_for, swap_in

    use_language(language)
    note_fonts(data_note(panel))  # a data note no installed font draws stops here, before anything is estimated
    targets = (tables_dir, figures_dir)
    if whole_folders:
        stages = [staging_for(target) for target in targets]
    else:
        for target in targets:
            target.mkdir(parents=True, exist_ok=True)
        stages = [Path(tempfile.mkdtemp(prefix=".staging-", dir=target)) for target in targets]
    try:
        written = build_outputs(panel, stages[0], stages[1], **options)  # type: ignore[arg-type]
        if whole_folders:
            for stage, target in zip(stages, targets, strict=True):
                (stage / ".gitkeep").write_text("")
                swap_in(stage, target)
        else:
            for path in written:
                path.replace(targets[stages.index(path.parent)] / path.name)
        return [targets[stages.index(path.parent)] / path.name for path in written]
    finally:
        for stage in stages:
            shutil.rmtree(stage, ignore_errors=True)
