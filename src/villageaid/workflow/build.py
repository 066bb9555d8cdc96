"""The build that follows the data: ``villageaid build`` (what ``make all`` runs).

Each stage (simulate → validate → panel → tables → codebook → manifest → pdf) declares its outputs and a
fingerprint of everything it depends on: the *content* of its input files (SHA-256, never file times), the
configuration values that matter to it (data folder, seed, figure language, salt, header maps, amount unit,
quantile, bootstrap draws…) and the content of villageaid's own source. A stage runs when its stamp
(``build/stamps/STAGE.json``) is missing, its fingerprint changed, or any output is missing or differs from
the hashes the stamp recorded. A stage writes into a fresh staging folder and swaps it in whole, so no
output of an earlier run survives beside the new ones; the stamp is written last. When a stage fails, its
outputs and those of every later stage are removed: what remains always comes from the current inputs.
The manifest is written only over a complete set.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from villageaid.config import DEFAULT_SCENARIO, DEFAULT_SEED
from villageaid.digest import sha256_file

SIMULATED = Path("data/simulated")
VALIDATED = Path("data/processed/validated")
PANEL = Path("data/processed/panel.parquet")
TABLES = Path("paper/tables")
FIGURES = Path("paper/figures")
CODEBOOK = Path("data/CODEBOOK.md")
MANIFEST = Path("paper/MANIFEST.sha256")
PDF = Path("paper/main.pdf")
#: The Chinese edition (``paper/main_zh.tex``), from the same tables.
PDF_ZH = Path("paper/main_zh.pdf")
#: The simulation studies' outputs (``make simulations``), which the paper shows when they exist.
SIMULATIONS = Path("paper/simulations")
STAMPS = Path("build/stamps")
STAGES = ("simulate", "validate", "panel", "tables", "codebook", "manifest", "pdf", "pdf_zh")
_STAGING = ".staging-"


class BuildError(Exception):
    """A stage cannot run on the current inputs (invalid data, missing folder): exit 2 with this message."""


@dataclass(frozen=True)
class BuildConfig:
    """Everything the build depends on besides file contents.

    Attributes
    ----------
    root : Path
        Project folder (outputs are written under it).
    data : Path or None
        Folder of records; None builds from the simulated default data.
    seed : int
        Seed of the simulated data (each analysis's seed is fixed in the registry).
    scenario : str
        Scenario of the simulated data (:data:`villageaid.simulation.SCENARIOS`): the edition built when
        ``data`` is None.
    figure_lang : {"en", "zh"}
        Language of figure labels.
    salt_file, header_maps, amount_unit, date_years
        Options of reading real records (see ``villageaid validate``).
    rich_quantile : float
        County quantile of the endowment index at or above which a village is rich.
    reference_years : tuple of int
        The transition's reference years (see :class:`~villageaid.panel.village_year.PanelOptions`).
    bootstrap_draws : int
        Wild cluster bootstrap draws of the tables.
    vcov : {"auto", "CRV3", "CRV1", "CRV1-county"}
        Variance of the models of Tables 3–5 (``auto``: the cluster jackknife by village with fewer than 30
        counties, CRV1 by county with more).
    pdf : {"auto", "yes", "no"}
        Build the PDF: where xelatex exists, always (fail without it), or never.
    paper_lang : {"en", "zh", "both"}
        The paper's editions: ``paper/main.pdf``, ``paper/main_zh.pdf`` or both. With ``pdf="auto"`` the
        Chinese edition is built only where the Noto CJK fonts are installed too.
    workers : int or None
        Processes for the tables and figures (None: ``VILLAGEAID_THREADS``, else one per core). The outputs are
        the same bytes whatever the number, so it is not part of what decides whether they are up to date.
    """

    root: Path
    data: Path | None = None
    seed: int = DEFAULT_SEED
    scenario: str = DEFAULT_SCENARIO
    figure_lang: str = "en"
    salt_file: Path | None = None
    header_maps: tuple[Path, ...] = ()
    amount_unit: str | None = None
    date_years: tuple[int, int] = (1949, 2100)
    rich_quantile: float = 2 / 3
    reference_years: tuple[int, ...] = (2019,)
    bootstrap_draws: int = 9999
    vcov: str = "auto"
    pdf: str = "auto"
    paper_lang: str = "both"
    workers: int | None = None

    def path(self, relative: Path) -> Path:
        """Return ``relative`` under the project root (absolute)."""
        return self.root.resolve() / relative

    @property
    def data_folder(self) -> Path:
        """Return the folder the records are read from."""
        return self.path(SIMULATED) if self.data is None else self.data.resolve()


@dataclass
class StageResult:
    """What one stage did."""

    name: str
    ran: bool
    reason: str
    seconds: float = 0.0
    outputs: list[str] = field(default_factory=list)


# --- hashing ---------------------------------------------------------------------------------------

def hash_tree(path: Path) -> dict[str, str]:
    """Return relative path → SHA-256 of every file under ``path`` (or of ``path`` itself).

    Hidden files, staging folders and temporaries are not outputs and are left out.
    """
    if path.is_file():
        return {path.name: sha256_file(path)}
    if not path.is_dir():
        return {}
    out = {}
    for file in sorted(path.rglob("*")):
        relative = file.relative_to(path)
        if file.is_file() and not any(part.startswith(".") for part in relative.parts) \
                and not file.name.endswith(".tmp"):
            out[str(relative)] = sha256_file(file)
    return out


def input_files(folder: Path) -> dict[str, str]:
    """Return the content hashes of the files a data folder offers (not recursive; hidden files skipped)."""
    return {p.name: sha256_file(p) for p in sorted(folder.iterdir())
            if p.is_file() and not p.name.startswith((".", "~$"))}


def code_files() -> list[Path]:
    """Return every source file of the villageaid package (Python and TOML), in a fixed order."""
    package = Path(__file__).resolve().parents[1]  # the whole package, not only its workflow folder
    return [file for file in sorted(package.rglob("*"))
            if file.suffix in (".py", ".toml") and "__pycache__" not in file.parts]


def code_fingerprint() -> str:
    """Return the SHA-256 over villageaid's own source files: a change to the code rebuilds its outputs."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for file in code_files():
        digest.update(str(file.relative_to(package)).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


# --- stamps and swapping ---------------------------------------------------------------------------

def _stamp_path(config: BuildConfig, stage: str) -> Path:
    return config.path(STAMPS) / f"{stage}.json"


def read_stamp(config: BuildConfig, stage: str) -> dict | None:
    """Return the stamp a stage wrote when it last completed, or None."""
    path = _stamp_path(config, stage)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _outputs_hash(config: BuildConfig, outputs: tuple[Path, ...]) -> dict[str, dict[str, str]]:
    return {str(o): hash_tree(config.path(o)) for o in outputs}


def staleness(config: BuildConfig, stage: str, fingerprint: dict, outputs: tuple[Path, ...]) -> str | None:
    """Return why a stage must run, or None when its outputs are complete and come from these inputs."""
    stamp = read_stamp(config, stage)
    if stamp is None:
        return "never built"
    if stamp.get("fingerprint") != fingerprint:
        changed = sorted(k for k in set(fingerprint) | set(stamp.get("fingerprint", {}))
                         if fingerprint.get(k) != stamp.get("fingerprint", {}).get(k))
        return "changed: " + ", ".join(changed)
    now = _outputs_hash(config, outputs)
    if now != stamp.get("outputs"):
        missing = [o for o, files in now.items() if not files]
        return "outputs missing: " + ", ".join(missing) if missing else "outputs changed since the last build"
    return None


def _write_stamp(config: BuildConfig, stage: str, fingerprint: dict, outputs: tuple[Path, ...]) -> None:
    from villageaid.io.write import write_text

    stamp = {"stage": stage, "fingerprint": fingerprint, "outputs": _outputs_hash(config, outputs)}
    write_text(_stamp_path(config, stage), json.dumps(stamp, indent=1, sort_keys=True) + "\n")


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _remove_output(path: Path) -> None:
    """Remove an output; a folder kept in git (paper/tables) is emptied but keeps its .gitkeep."""
    if path.is_dir() and (path / ".gitkeep").exists():
        for child in path.iterdir():
            if child.name != ".gitkeep":
                _remove(child)
    else:
        _remove(path)


def staging_for(target: Path) -> Path:
    """Return a fresh staging folder beside ``target`` (same file system, so the swap is a rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{_STAGING}{target.name}-", dir=target.parent))


def swap_in(staging: Path, target: Path) -> None:
    """Replace ``target`` (a folder or file) by ``staging`` whole: nothing of the old one survives."""
    old = None
    if target.exists():
        old = target.with_name(f"{_STAGING}old-{target.name}-{os.getpid()}")
        _remove(old)
        target.rename(old)
    staging.rename(target)
    if old is not None:
        _remove(old)


def remove_strays(config: BuildConfig) -> list[Path]:
    """Remove staging folders and temporaries left by killed runs."""
    removed = []
    for parent in {config.path(p).parent for p in (SIMULATED, VALIDATED, PANEL, TABLES, FIGURES, PDF)} | {
            config.path(TABLES), config.path(FIGURES), config.path(VALIDATED)}:
        if not parent.is_dir():
            continue
        for stray in parent.iterdir():
            if stray.name.startswith(_STAGING) or (stray.name.startswith(".") and stray.name.endswith(".tmp")):
                _remove(stray)
                removed.append(stray)
    return removed


# --- the stages ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stage:
    """One step of the build: what it makes, what it depends on, how it runs."""

    name: str
    outputs: tuple[Path, ...]
    fingerprint: Callable[[BuildConfig, str], dict]
    run: Callable[[BuildConfig], None]
    applies: Callable[[BuildConfig], bool] = lambda config: True


def _fp_simulate(config: BuildConfig, code: str) -> dict:
    return {"scenario": config.scenario, "seed": config.seed, "code": code}


def _run_simulate(config: BuildConfig) -> None:
    from villageaid.io.write import write_dataset
    from villageaid.simulation import SCENARIOS, simulate

    data = simulate(SCENARIOS[config.scenario](), seed=config.seed)
    target = config.path(SIMULATED)
    staging = staging_for(target)
    write_dataset(data.tables, data.truth, staging)
    swap_in(staging, target)


def _salt_digest(config: BuildConfig) -> str | None:
    if config.salt_file is None:
        return None
    # A hash of the salt (never the salt) tells whether it changed.
    return hashlib.sha256(b"villageaid salt fingerprint:" + Path(config.salt_file).read_bytes().strip()).hexdigest()


def _fp_validate(config: BuildConfig, code: str) -> dict:
    folder = config.data_folder
    return {"data": str(folder.resolve()), "files": _digest(input_files(folder)),
            "header_maps": _digest({str(p): sha256_file(p) for p in config.header_maps}),
            "salt": _salt_digest(config), "amount_unit": config.amount_unit,
            "date_years": list(config.date_years), "code": code}


def _run_validate(config: BuildConfig) -> None:
    from villageaid.io.codes import crosswalk_set_tables
    from villageaid.io.provenance import write_validated_set
    from villageaid.io.read import is_inside, read_records

    folder = config.data_folder
    if is_inside(config.path(VALIDATED), folder):
        raise BuildError(f"DATA={folder} contains the build's own output folder; choose the folder of the records")
    try:
        raw = read_records(folder, header_maps=config.header_maps, salt_file=config.salt_file,
                           amount_unit=config.amount_unit, date_years=config.date_years)
    except (OSError, ValueError) as exc:
        raise BuildError(str(exc)) from exc
    if not raw.report.ok:
        raise BuildError(f"the records in {folder} have errors:\n{raw.report.format(max_lines=200)}")
    if raw.report.problems:
        print(raw.report.format(max_lines=200))
    target = config.path(VALIDATED)
    staging = staging_for(target)
    # with the crosswalk of merged village codes, when the records have one
    write_validated_set(raw.tables, raw.provenance, folder, staging, extra=crosswalk_set_tables(raw.crosswalk))
    swap_in(staging, target)


def _fp_panel(config: BuildConfig, code: str) -> dict:
    return {"validated": _digest(hash_tree(config.path(VALIDATED))), "rich_quantile": config.rich_quantile,
            "reference_years": list(config.reference_years), "code": code}


def _run_panel(config: BuildConfig) -> None:
    from villageaid.io.codes import build_panel_with_crosswalk, read_validated_crosswalk
    from villageaid.io.provenance import label_panel, read_validated_set
    from villageaid.io.write import write_parquet
    from villageaid.panel.village_year import PANEL_INPUTS, PANEL_READ, PanelOptions

    folder = config.path(VALIDATED)
    try:
        tables = read_validated_set(folder, PANEL_READ)
        crosswalk = read_validated_crosswalk(folder, tables["villages"])
    except ValueError as exc:
        raise BuildError(str(exc)) from exc
    tables = {name: tables[name] for name in PANEL_INPUTS}  # the panel's tables (the two lists are not)
    try:
        panel = build_panel_with_crosswalk(tables, PanelOptions(rich_quantile=config.rich_quantile,
                                                                reference_years=config.reference_years), crosswalk)
    except ValueError as exc:
        raise BuildError(f"cannot build the panel: {exc}") from exc
    write_parquet(label_panel(panel, folder), config.path(PANEL))


def _list_files(config: BuildConfig) -> dict[str, str | None]:
    """Hashes of the validated tables the policy simulator reads beside the panel (the two lists, assignments)."""
    folder = config.path(VALIDATED)
    return {name: sha256_file(folder / f"{name}.parquet") if (folder / f"{name}.parquet").is_file() else None
            for name in ("needs", "unit_resources", "assignments")}


def _fp_tables(config: BuildConfig, code: str) -> dict:
    return {"panel": sha256_file(config.path(PANEL)) if config.path(PANEL).is_file() else None,
            "policy_lists": _list_files(config),
            "figure_lang": config.figure_lang, "bootstrap_draws": config.bootstrap_draws, "vcov": config.vcov,
            "code": code}


def _run_tables(config: BuildConfig) -> None:
    import pandas as pd

    from villageaid.analysis.policy_inputs import read_policy_lists
    from villageaid.report.figures import FontMissingError
    from villageaid.workflow.outputs import staged_outputs

    panel = pd.read_parquet(config.path(PANEL))
    try:
        lists = read_policy_lists(config.path(VALIDATED))  # the two lists, proven unchanged by their hashes
    except ValueError as exc:
        raise BuildError(str(exc)) from exc
    try:
        staged_outputs(panel, config.path(TABLES), config.path(FIGURES), whole_folders=True, policy_lists=lists,
                       language=config.figure_lang, bootstrap_draws=config.bootstrap_draws,
                       log=lambda message: print(f"villageaid: tables: {message}", flush=True),
                       workers=config.workers, vcov=config.vcov)
    except FontMissingError as exc:
        raise BuildError(str(exc)) from exc


def _fp_codebook(config: BuildConfig, code: str) -> dict:
    return {"code": code}


def _run_codebook(config: BuildConfig) -> None:
    from villageaid.io.write import write_text
    from villageaid.schema import codebook_markdown

    write_text(config.path(CODEBOOK), codebook_markdown())


def _fp_manifest(config: BuildConfig, code: str) -> dict:
    return {"outputs": _digest(_outputs_hash(config, (TABLES, FIGURES, CODEBOOK)))}


def _run_manifest(config: BuildConfig) -> None:
    from villageaid.io.write import write_text
    from villageaid.workflow.replicate import manifest

    paths = [config.path(TABLES), config.path(FIGURES), config.path(CODEBOOK)]
    write_text(config.path(MANIFEST), manifest(paths, config.root.resolve()))


def _xelatex() -> str | None:
    return shutil.which("xelatex")


def _fp_pdf(config: BuildConfig, code: str) -> dict:
    sources = {p.name: sha256_file(p) for p in sorted(config.path(Path("paper")).glob("*"))
               if p.suffix in (".tex", ".bib", ".bst", ".cls", ".sty")}
    manifest = config.path(MANIFEST)
    from villageaid.workflow.docs import paper_sections

    simulations = config.path(SIMULATIONS)
    return {"sources": _digest(sources), "manifest": sha256_file(manifest) if manifest.is_file() else None,
            "sections": _digest(paper_sections()),
            "simulations": _digest(hash_tree(simulations)) if simulations.is_dir() else None}


def _run_pdf(config: BuildConfig) -> None:
    _compile(config, "main.tex", PDF)


def cjk_fonts_installed() -> bool:
    """Return True when fontconfig finds the Noto CJK font the Chinese edition (and xeCJK) sets."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    done = subprocess.run([fc_list, ":family=Noto Serif CJK SC"], capture_output=True, text=True, check=False)
    return bool(done.stdout.strip())


def _run_pdf_zh(config: BuildConfig) -> None:
    if not cjk_fonts_installed():
        raise BuildError("the Chinese edition needs the Noto CJK fonts (Noto Serif CJK SC): run 'make fonts' "
                         "(Debian: fonts-noto-cjk), or build only the English one with PAPER_LANG=en")
    _compile(config, "main_zh.tex", PDF_ZH)


def _compile(config: BuildConfig, source: str, target: Path) -> None:
    """Compile one edition of the paper with xelatex and BibTeX in a scratch copy; swap the PDF in."""
    xelatex = _xelatex()
    if xelatex is None:
        raise BuildError("xelatex is not installed: run 'make latex' (Debian: texlive-xetex, fonts-noto-cjk)")
    paper = config.path(Path("paper"))
    if not (paper / source).is_file():
        raise BuildError(f"paper/{source} is missing")
    stem = Path(source).stem
    work = Path(tempfile.mkdtemp(prefix=f"{_STAGING}pdf-", dir=paper))
    try:
        for item in paper.iterdir():
            if item.name.startswith(_STAGING):
                continue
            if item.suffix in (".tex", ".bib", ".bst", ".cls", ".sty"):
                shutil.copy2(item, work / item.name)
        for folder in (TABLES, FIGURES):
            shutil.copytree(config.path(folder), work / folder.name)
        if config.path(SIMULATIONS).is_dir():  # the studies of `make simulations`, when they were run
            shutil.copytree(config.path(SIMULATIONS), work / SIMULATIONS.name)
        from villageaid.workflow.docs import paper_sections

        for name, text in paper_sections().items():  # the outputs of each section, as the registry declares them
            (work / name).write_text(text, encoding="utf-8")
        bibtex = shutil.which("bibtex")
        steps = [[xelatex, "-interaction=nonstopmode", "-halt-on-error", source]]
        if bibtex and any(work.glob("*.bib")):
            steps += [[bibtex, stem]]
        # Then xelatex again until the cross-references and longtable widths are stable (as latexmk does).
        steps += [[xelatex, "-interaction=nonstopmode", "-halt-on-error", source]] * MAX_LATEX_RERUNS
        for number, step in enumerate(steps):
            if number > 1 and step[0] == xelatex and steps[number - 1][0] == xelatex \
                    and not _needs_rerun(work / f"{stem}.log"):
                break
            done = subprocess.run(step, cwd=work, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                tail = "\n".join((done.stdout or "").splitlines()[-25:])
                raise BuildError(f"{Path(step[0]).name} failed on paper/{source}:\n{tail}")
        staging = paper / f"{_STAGING}{target.name}"
        shutil.copy2(work / f"{stem}.pdf", staging)
        os.replace(staging, config.path(target))
        shutil.copy2(work / f"{stem}.log", paper / f"{stem}.log")  # for overfull boxes and missing glyphs
    finally:
        shutil.rmtree(work, ignore_errors=True)


#: Most runs of xelatex after bibtex; the build stops earlier when the log asks for no rerun.
MAX_LATEX_RERUNS = 4
_RERUN = re.compile(r"Rerun to get|Rerun LaTeX|Label\(s\) may have changed|There were undefined references")


def _needs_rerun(log: Path) -> bool:
    """Return whether a LaTeX log asks for another run (changed labels, longtable widths, undefined references)."""
    return log.is_file() and _RERUN.search(log.read_text(encoding="utf-8", errors="replace")) is not None


def _pdf_applies(config: BuildConfig) -> bool:
    if config.paper_lang not in ("en", "both"):
        return False
    return config.pdf == "yes" or (config.pdf == "auto" and _xelatex() is not None)


def _pdf_zh_applies(config: BuildConfig) -> bool:
    if config.paper_lang not in ("zh", "both"):
        return False
    return config.pdf == "yes" or (config.pdf == "auto" and _xelatex() is not None and cjk_fonts_installed())


STAGE_LIST: tuple[Stage, ...] = (
    Stage("simulate", (SIMULATED,), _fp_simulate, _run_simulate, lambda config: config.data is None),
    Stage("validate", (VALIDATED,), _fp_validate, _run_validate),
    Stage("panel", (PANEL,), _fp_panel, _run_panel),
    Stage("tables", (TABLES, FIGURES), _fp_tables, _run_tables),
    Stage("codebook", (CODEBOOK,), _fp_codebook, _run_codebook),
    Stage("manifest", (MANIFEST,), _fp_manifest, _run_manifest),
    Stage("pdf", (PDF,), _fp_pdf, _run_pdf, _pdf_applies),
    Stage("pdf_zh", (PDF_ZH,), _fp_pdf, _run_pdf_zh, _pdf_zh_applies),
)


def check_data_folder(config: BuildConfig) -> None:
    """Refuse a data folder that is missing, not a folder or holds no table file, and an unknown scenario."""
    from villageaid.simulation import SCENARIOS

    if config.scenario not in SCENARIOS or config.scenario == "national":
        editions = ", ".join(name for name in SCENARIOS if name != "national")
        raise BuildError(f"SCENARIO={config.scenario}: unknown edition; use one of {editions}")
    if config.data is None:
        return
    if config.scenario != DEFAULT_SCENARIO:
        raise BuildError(f"SCENARIO={config.scenario} applies to the simulated data; with DATA= the build reads "
                         "your records (leave SCENARIO unset)")
    folder = config.data
    if not folder.exists():
        raise BuildError(f"DATA={folder}: the folder does not exist")
    if not folder.is_dir():
        raise BuildError(f"DATA={folder}: not a folder (give the folder that holds the table files)")
    offered = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "~$"))
               and p.suffix.lower() in (".csv", ".xlsx", ".xlsm", ".parquet")]
    if not offered:
        raise BuildError(f"DATA={folder}: the folder holds no table file (.csv, .xlsx or .parquet)")


def build(config: BuildConfig, *, until: str | None = None, log: Callable[[str], None] = print) -> list[StageResult]:
    """Bring every output up to date with the current inputs and configuration.

    Parameters
    ----------
    config : BuildConfig
        Inputs and options.
    until : str, optional
        Last stage to run (e.g. ``"panel"``); all by default.
    log : callable
        Receives one line per stage.

    Returns
    -------
    list of StageResult

    Raises
    ------
    BuildError
        When a stage cannot run on the current inputs; the outputs of that stage and of every later stage
        have been removed, so nothing left behind comes from earlier inputs.
    """
    for stray in remove_strays(config):
        log(f"removed {stray.relative_to(config.root.resolve())} (left by an interrupted run)")
    check_data_folder(config)
    code = code_fingerprint()
    results: list[StageResult] = []
    stages = list(STAGE_LIST)
    if until is not None:
        if until not in STAGES:
            raise BuildError(f"unknown stage {until!r}; expected one of {', '.join(STAGES)}")
        stages = stages[: [s.name for s in stages].index(until) + 1]
    for position, stage in enumerate(stages):
        if not stage.applies(config):
            if stage.name in ("pdf", "pdf_zh") and config.pdf == "auto":
                target = PDF if stage.name == "pdf" else PDF_ZH
                wanted = config.paper_lang in (("en", "both") if stage.name == "pdf" else ("zh", "both"))
                missing = ("xelatex is not installed; make latex installs it" if _xelatex() is None else
                           "the Noto CJK fonts are not installed; make fonts installs them")
                fingerprint = stage.fingerprint(config, code)
                if staleness(config, stage.name, fingerprint, stage.outputs) and config.path(target).exists():
                    _remove(config.path(target))  # a PDF of earlier results must not stay beside new tables
                    log(f"{stage.name}: removed {target} (it showed earlier results; "
                        + (missing if wanted else f"PAPER_LANG={config.paper_lang}") + ")")
                elif wanted:
                    log(f"{stage.name}: skipped ({missing})")
            results.append(StageResult(stage.name, False, "not applicable"))
            continue
        fingerprint = stage.fingerprint(config, code)
        reason = staleness(config, stage.name, fingerprint, stage.outputs)
        if reason is None:
            results.append(StageResult(stage.name, False, "up to date"))
            continue
        log(f"{stage.name}: building ({reason})")
        start = time.perf_counter()
        try:
            stage.run(config)
        except BaseException:
            for later in stages[position:]:
                for output in later.outputs:
                    if later.name != "codebook":
                        _remove_output(config.path(output))
                _remove(_stamp_path(config, later.name))
            raise
        _write_stamp(config, stage.name, fingerprint, stage.outputs)
        seconds = time.perf_counter() - start
        log(f"{stage.name}: done in {seconds:.1f} s")
        results.append(StageResult(stage.name, True, reason, seconds, [str(o) for o in stage.outputs]))
    return results
