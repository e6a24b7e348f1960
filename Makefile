# Two commands for a fresh machine:
#   make run    set up .venv if needed, then execute every notebook (full profile) and write the report
#   make test   set up .venv if needed, then run every test (unit tests + notebooks in the smoke profile)
#   make site   build the course site (notebooks, guides, API reference) into _build/site, offline,
#               warnings as errors; open _build/site/index.html (tests/test_site.py checks it in Chromium)
#   make lab    open the notebooks in JupyterLab with .venv's kernel (prints the URL)
# Not part of CI:
#   make test-oldest   build .venv-oldest with the OLDEST versions pyproject.toml allows, run the
#                      unit tests there (NOTEBOOKS=1 adds the notebooks); see scripts/test_oldest.py
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.dlcourse-installed
PROFILE ?= full
OUT ?= reports/latest
JOBS ?= 2
RUN_JOBS ?= 1
SITE ?= _build/site

# kernels run in notebooks/, so a relative data mirror or cache (DLCOURSE_MIRROR=../shared/data)
# is made absolute here, against the folder make was started from
ifdef DLCOURSE_MIRROR
export DLCOURSE_MIRROR := $(abspath $(DLCOURSE_MIRROR))
endif
ifdef DLCOURSE_CACHE
export DLCOURSE_CACHE := $(abspath $(DLCOURSE_CACHE))
endif

.PHONY: setup run test site lab test-oldest clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/dlcourse run --profile $(PROFILE) --out $(OUT) --jobs $(RUN_JOBS) $(IDS)

test: $(STAMP)
	DLCOURSE_PROFILE=smoke $(BIN)/python -m pytest -n $(JOBS) --dist loadfile --doctest-modules \
	  --nbval-lax --nbval-current-env --nbval-cell-timeout 900 dlcourse_keras tests notebooks

# the same command as tests/test_site.py's; incremental (docs/_ext/course_site.py forces a full
# reread when it changes)
site: $(STAMP)
	$(BIN)/python -m sphinx -W --keep-going -q -b html docs $(SITE)
	@echo "site: open $(SITE)/index.html"

# JupyterLab on notebooks/ with the course's environment: the kernel is $(BIN)/python (the
# environment's kernelspec before any user-wide one), DLCOURSE_MIRROR/DLCOURSE_CACHE made absolute
# above; Jupyter prints the URL to open, with its token. LAB_ARGS adds options (--port=8899,
# --no-browser, --allow-root in a container that runs as root). tests/test_lab.py checks it in Chromium.
lab: $(STAMP)
	@echo "lab: JupyterLab on notebooks/ with $(BIN)/python$(if $(DLCOURSE_MIRROR), and the data mirror $(DLCOURSE_MIRROR)); open the http://127.0.0.1 URL below; Ctrl-C stops it"
	JUPYTER_PREFER_ENV_PATH=1 $(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)/notebooks" --ServerApp.ip=127.0.0.1 $(LAB_ARGS)

test-oldest:
	$(PYTHON) scripts/test_oldest.py $(if $(NOTEBOOKS),--notebooks) $(if $(TESTS),-- $(TESTS))

clean:
	rm -rf $(VENV) .venv-oldest reports data/cache _build docs/notebooks docs/api
