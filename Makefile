# villageaid — make all builds everything from raw data; make test runs the test suite.
# `make all` runs `villageaid build`, which decides what is out of date from the *content* of the inputs, the
# options below and villageaid's own code — never from file times — and swaps each step's outputs in whole.
# `make all DATA=path/to/records` runs the same pipeline on a folder of real county records.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VA := $(BIN)/villageaid
INSTALLED := $(VENV)/.installed

# Options of the build (see `make help`); empty means the default.
DATA ?=
SEED ?=
FIGURE_LANG ?= en
SALT_FILE ?=
HEADER_MAP ?=
AMOUNT_UNIT ?=
RICH_QUANTILE ?=
REFERENCE_YEAR ?=
DATE_YEARS ?=
BOOTSTRAP_DRAWS ?=
VCOV ?=
SCENARIO ?=
PDF ?= auto
PAPER_LANG ?= both

BUILD_OPTS = $(if $(DATA),--data "$(DATA)") $(if $(SEED),--seed $(SEED)) $(if $(SCENARIO),--scenario $(SCENARIO)) \
	--lang $(FIGURE_LANG) \
	$(if $(SALT_FILE),--salt-file "$(SALT_FILE)") $(if $(HEADER_MAP),--header-map "$(HEADER_MAP)") \
	$(if $(AMOUNT_UNIT),--amount-unit $(AMOUNT_UNIT)) $(if $(RICH_QUANTILE),--rich-quantile $(RICH_QUANTILE)) \
	$(if $(REFERENCE_YEAR),--reference-year $(REFERENCE_YEAR)) \
	$(if $(DATE_YEARS),--date-years $(DATE_YEARS)) $(if $(BOOTSTRAP_DRAWS),--bootstrap-draws $(BOOTSTRAP_DRAWS)) \
	$(if $(VCOV),--vcov $(VCOV))

SIM_DIR := data/simulated
PROCESSED := data/processed
PANEL := $(PROCESSED)/panel.parquet
TABLES := paper/tables
FIGURES := paper/figures
MANIFEST := paper/MANIFEST.sha256
SRC := $(shell find src -name '*.py' -o -name '*.toml') pyproject.toml

.PHONY: all build panel test test-integration test-all lint clean clean-simulations distclean install help replicate expected pdf latex \
	fonts simulations lab bench docs

all: $(INSTALLED)
	$(VA) build $(BUILD_OPTS) --pdf $(PDF) --paper-lang $(PAPER_LANG)
	@echo "villageaid is installed in $(VENV): run $(VA) --help, or activate it first (. $(BIN)/activate) and run villageaid --help"

help:
	@echo "make all    build the data, panel, tables, figures, manifest and (with xelatex) the PDF"
	@echo "            only what is out of date: inputs are compared by content, never by file time"
	@echo "  DATA=DIR          a folder of county records instead of the simulated data"
	@echo "  SALT_FILE=FILE    secret salt for a name column (16+ random characters)"
	@echo "  HEADER_MAP=FILE   your header map (TOML: [tables], [columns.T], [values.C], [levels])"
	@echo "  AMOUNT_UNIT=U     unit of amounts whose header states none: yuan, thousand, wan (default), million, yi"
	@echo "  RICH_QUANTILE=Q   county quantile above which a village is rich (default 2/3)"
	@echo "  REFERENCE_YEAR=Y  the transition's reference year: 2019 (default), 2016-2019 (mean) or 2020"
	@echo "  DATE_YEARS=A-B    plausible calendar years of dates (default 1949-2100)"
	@echo "  FIGURE_LANG=zh    Chinese figure labels (needs make fonts)"
	@echo "  SEED=N            seed of the simulated default data"
	@echo "  SCENARIO=NAME     simulated edition: seed_true (default), null, complementarity, need_decline,"
	@echo "                    spillover, hidden_selection, many_counties (data/README.md)"
	@echo "  BOOTSTRAP_DRAWS=N wild cluster bootstrap draws (default 9999)"
	@echo "  VCOV=auto|CRV3|CRV1|CRV1-county  errors of the models of Tables 3-5: auto (default: CRV3 with"
	@echo "                    fewer than 30 counties, CRV1 by county with more), CRV3, the exact cluster jackknife"
	@echo "                    by village (CRV1 where it is undefined, marked), CRV1 by village or by county"
	@echo "  PDF=auto|yes|no   build paper/main.pdf where xelatex exists (auto), always, or never"
	@echo "  PAPER_LANG=en|zh|both  the paper's editions: main.pdf, main_zh.pdf (Chinese) or both (default;"
	@echo "                    the Chinese one where the Noto CJK fonts exist, else a message says why not)"
	@echo "  VILLAGEAID_THREADS=N  (environment) thread budget: N worker processes of one BLAS thread each, N BLAS"
	@echo "                    threads in the command's own process (default: every core); the outputs are the"
	@echo "                    same bytes whatever N"
	@echo "make test   lint and the fast tests on every core (about a minute)"
	@echo "make test-integration  the end-to-end tests: paper outputs, PDF, notebooks (CI runs both)"
	@echo "make replicate  rebuild everything in build/replicate and compare with paper/expected.json"
	@echo "make bench      run benchmarks/ and write build/bench/summary.md (long; PEER_PYTHON=, BENCH_ONLY=)"
	@echo "make pdf    build paper/main.pdf with xelatex (make latex installs it on Debian)"
	@echo "make simulations  what the design can tell apart (Tables 11-12), Monte Carlo, power, specification"
	@echo "                  curve: about half an hour on 2 cores (WORKERS=K)"
	@echo "make lab    install JupyterLab (the [lab] extra) and start it on notebooks/"
	@echo "make lint   run ruff"
	@echo "make docs   rewrite the lists of outputs in README.md and paper/README.md from the registry"
	@echo "make clean  remove what make built and stray temporaries (never data/raw, never paper/simulations)"
	@echo "make clean-simulations  remove paper/simulations; make distclean also removes .venv"

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Steps of `make all` on their own (each brings the earlier ones up to date first).
build: all
panel: $(INSTALLED)
	$(VA) build $(BUILD_OPTS) --until panel

# The companion paper. Needs xelatex and the Noto CJK fonts: `make latex` installs them (Debian, as root).
pdf: $(INSTALLED)
	$(VA) build $(BUILD_OPTS) --pdf yes --paper-lang $(PAPER_LANG)

latex: fonts
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		texlive-xetex texlive-latex-extra texlive-lang-chinese lmodern

fonts:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-noto-cjk

# Simulation studies (not part of `make all`: about half an hour on two cores). WORKERS=0 runs serially.
SIMULATIONS := paper/simulations
WORKERS ?= 2
simulations: $(SIMULATIONS)/discrimination_summary.csv $(SIMULATIONS)/summary_seed_true.csv \
	$(SIMULATIONS)/summary_null.csv $(SIMULATIONS)/power.csv $(SIMULATIONS)/power_by_claim.csv panel
	$(VA) speccurve $(PANEL) --out $(SIMULATIONS)

$(SIMULATIONS)/discrimination_summary.csv: $(INSTALLED) $(SRC)
	$(VA) discrimination --reps 200 --workers $(WORKERS) --out $(SIMULATIONS)

$(SIMULATIONS)/summary_%.csv: $(INSTALLED) $(SRC)
	$(VA) montecarlo --scenario $* --reps 200 --workers $(WORKERS) --out $(SIMULATIONS)

# Power of every claim against the number of counties (CRV1 by village: the jackknife takes minutes a replication
# from 8 counties; the paper says so).
$(SIMULATIONS)/power_by_claim.csv: $(INSTALLED) $(SRC)
	$(VA) power --claims all --counties 2,4,8,16,40 --reps 100 --vcov CRV1 --workers $(WORKERS) --out $(SIMULATIONS)

$(SIMULATIONS)/power.csv: $(INSTALLED) $(SRC)
	$(VA) power --counties 2,4,8 --villages 60,135 --effects 0.3,0.6 --reps 100 --workers $(WORKERS) \
		--out $(SIMULATIONS)

# A peer's check: rebuild from the simulated data in a fresh folder and compare the key estimates.
replicate: $(INSTALLED)
	$(VA) replicate --expected paper/expected.json --workdir build/replicate

# The lists of outputs in README.md and paper/README.md, generated from the registry (a test checks them).
docs: $(INSTALLED)
	$(VA) docs

# Maintainers only: fix the paper's key estimates from the tables just built (simulated default data).
expected: $(INSTALLED)
	$(VA) build --until tables --lang $(FIGURE_LANG)
	$(VA) expected --tables $(TABLES) --out paper/expected.json

# make test: lint and the fast tests, spread over every core (pytest-xdist). make test-integration: the tests
# that rebuild the paper's outputs, its PDF and the notebooks end to end. CI (.ci/run) runs both; make test-all
# runs both in one go. Slow Monte Carlo tests run only when asked (pytest -m slow).
PYTEST := $(BIN)/python -m pytest -n auto

test: $(INSTALLED)
	$(BIN)/ruff check src tests benchmarks
	$(PYTEST) -m "not slow and not integration"

test-integration: $(INSTALLED)
	$(PYTEST) -m "integration and not slow"

test-all: $(INSTALLED)
	$(BIN)/ruff check src tests benchmarks
	$(PYTEST) -m "not slow"

# Benchmarks (not tests): every script in benchmarks/, a Markdown summary in build/bench/summary.md. Long
# (about an hour on 2 cores: national-scale data are generated on demand). PEER_PYTHON: an interpreter with the
# peer libraries (pyfixest, diff-diff...) for the comparisons; BENCH_ONLY: a comma-separated subset.
PEER_PYTHON ?=
BENCH_ONLY ?=
bench: $(INSTALLED)
	$(BIN)/python benchmarks/run_all.py --out build/bench/summary.md $(if $(PEER_PYTHON),--peer-python $(PEER_PYTHON)) \
		$(if $(BENCH_ONLY),--only $(BENCH_ONLY))

lint: $(INSTALLED)
	$(BIN)/ruff check src tests benchmarks

# JupyterLab for the notebooks (optional extra).
lab: $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e '.[dev,lab]'
	$(BIN)/jupyter lab notebooks

clean:
	rm -rf $(SIM_DIR) $(PROCESSED) build .pytest_cache .ruff_cache src/*.egg-info $(MANIFEST)
	find $(TABLES) $(FIGURES) -mindepth 1 -not -name .gitkeep -exec rm -rf {} + 2>/dev/null || true
	rm -f paper/main.pdf paper/main_zh.pdf paper/*.aux paper/*.log paper/*.out paper/*.bbl paper/*.blg paper/*.toc
	find data paper -name '.staging-*' -prune -exec rm -rf {} + 2>/dev/null || true
	find data paper -name '*.tmp' -type f -delete 2>/dev/null || true
	find . -name __pycache__ -type d -prune -not -path './$(VENV)/*' -exec rm -rf {} +

clean-simulations:
	rm -rf $(SIMULATIONS)

distclean: clean
	rm -rf $(VENV)
