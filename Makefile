# villageaid — make all builds everything from raw data; make test runs the test suite.
# Targets are files: only what changed is rebuilt. `make all DATA=path/to/records` runs the same
# pipeline on a directory of real county records instead of the simulated default data.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VA := $(BIN)/villageaid
INSTALLED := $(VENV)/.installed

SIM_DIR := data/simulated
DATA ?= $(SIM_DIR)
PROCESSED := data/processed
TABLES := paper/tables
SEED ?=
FIGURE_LANG ?= en

ifeq ($(DATA),$(SIM_DIR))
RAW_INPUTS := $(SIM_DIR)/truth.json
else
RAW_INPUTS := $(wildcard $(DATA)/*.csv $(DATA)/*.xlsx $(DATA)/*.parquet)
endif

VALIDATED := $(PROCESSED)/validated
PANEL := $(PROCESSED)/panel.parquet
FIGURES := paper/figures
TABLE1 := $(TABLES)/table1_typology.csv
SRC := $(shell find src -name '*.py' -o -name '*.toml') pyproject.toml

MANIFEST := paper/MANIFEST.sha256

.PHONY: all test lint clean distclean install help replicate expected pdf latex fonts paper-if-possible simulations

all: $(MANIFEST) paper-if-possible

# The PDF is part of `make all` where xelatex is installed, and skipped with a message where it is not.
paper-if-possible: $(MANIFEST)
	@if command -v xelatex >/dev/null 2>&1; then $(MAKE) --no-print-directory paper/main.pdf; \
	else echo "xelatex is not installed: paper/main.pdf skipped (make latex installs it)"; fi

help:
	@echo "make all    build the data, panel and paper tables (DATA=dir for your own records)"
	@echo "make test   run the test suite"
	@echo "make replicate  rebuild everything in build/replicate and compare with paper/expected.json"
	@echo "make pdf    build paper/main.pdf with xelatex (make latex installs it on Debian)"
	@echo "make simulations  Monte Carlo, power and specification curve (a few minutes; WORKERS=K)"
	@echo "make lint   run ruff"
	@echo "make clean  remove everything make built (never data/raw); make distclean also removes .venv"

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(SIM_DIR)/truth.json: $(INSTALLED) src/villageaid/simulate.py src/villageaid/config.py
	$(VA) simulate --scenario two_counties $(if $(SEED),--seed $(SEED)) --out $(SIM_DIR)

# raw data → validated tables (typed, pseudonymized, amounts in 万元) → panel
$(VALIDATED)/villages.parquet: $(RAW_INPUTS) $(INSTALLED) $(SRC)
	$(VA) validate $(DATA) --out $(VALIDATED)

$(PANEL): $(VALIDATED)/villages.parquet
	$(VA) panel $(VALIDATED) --out $@

# One command estimates every landed analysis and writes Tables 1-5, 8 and the event-study figure.
$(TABLE1): $(PANEL) $(SRC)
	$(VA) tables $(PANEL) --out $(TABLES) --figures $(FIGURES) --lang $(FIGURE_LANG)

data/CODEBOOK.md: $(INSTALLED) src/villageaid/schema.py
	$(VA) codebook --out $@

# SHA-256 of every output, so that two builds can be compared byte for byte.
$(MANIFEST): $(TABLE1) data/CODEBOOK.md
	$(VA) manifest $(TABLES) $(FIGURES) data/CODEBOOK.md --root . --out $@

# The companion paper. Needs xelatex and the Noto CJK fonts: `make latex` installs them (Debian, as root).
pdf: paper/main.pdf

paper/main.pdf: paper/main.tex $(MANIFEST)
	@if command -v xelatex >/dev/null 2>&1; then \
		cd paper && xelatex -interaction=nonstopmode -halt-on-error main.tex >/dev/null && \
		xelatex -interaction=nonstopmode -halt-on-error main.tex >/dev/null && echo "wrote paper/main.pdf"; \
	else \
		echo "xelatex is not installed: run 'make latex' (Debian: texlive-xetex, texlive-latex-extra, fonts-noto-cjk)"; \
		exit 1; \
	fi

latex: fonts
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		texlive-xetex texlive-latex-extra lmodern

fonts:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-noto-cjk

# Simulation studies (not part of `make all`: a few minutes on two cores). WORKERS=0 runs serially.
SIMULATIONS := paper/simulations
WORKERS ?= 2
simulations: $(SIMULATIONS)/summary_two_counties.csv $(SIMULATIONS)/summary_two_counties_null.csv \
	$(SIMULATIONS)/power.csv $(SIMULATIONS)/speccurve.csv

$(SIMULATIONS)/summary_%.csv: $(INSTALLED) $(SRC)
	$(VA) montecarlo --scenario $* --reps 200 --workers $(WORKERS) --out $(SIMULATIONS)

$(SIMULATIONS)/power.csv: $(INSTALLED) $(SRC)
	$(VA) power --counties 2,4,8 --villages 60,135 --effects 0.3,0.6 --reps 100 --workers $(WORKERS) \
		--out $(SIMULATIONS)

$(SIMULATIONS)/speccurve.csv: $(PANEL)
	$(VA) speccurve $(PANEL) --out $(SIMULATIONS)

# A peer's check: rebuild from the simulated data in a fresh folder and compare the key estimates.
replicate: $(INSTALLED)
	$(VA) replicate --expected paper/expected.json --workdir build/replicate

# Maintainers only: fix the paper's key estimates from the tables just built.
expected: $(TABLE1)
	$(VA) expected --tables $(TABLES) --out paper/expected.json

test: $(INSTALLED)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -m "not slow"

lint: $(INSTALLED)
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf $(SIM_DIR) $(PROCESSED) $(TABLES)/*.csv $(TABLES)/*.md $(TABLES)/*.tex $(FIGURES)/*.png \
		$(FIGURES)/*.pdf $(FIGURES)/*.csv
	rm -rf build .pytest_cache .ruff_cache src/*.egg-info $(MANIFEST) $(SIMULATIONS)
	rm -f paper/main.pdf paper/main.aux paper/main.log paper/main.out
	find . -name __pycache__ -type d -prune -not -path './$(VENV)/*' -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
