# Build and test tooling for the alohub.callcenter collection (the repo root is the collection root).
# `make help` lists the targets; docs/development.md explains the layout.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# The ansible-core lines under test, each with its Python series and venv: hacking/ansible-lines.
# The first is the default (.venv). LINE=2.16 selects another for any target (`make units LINE=2.16`);
# VENV, ANSIBLE_CORE, PYTHON_SERIES and PYTHON still override one by one.
LINES_FILE := $(CURDIR)/hacking/ansible-lines
ALL_LINES := $(shell awk '!/^[[:space:]]*\#/ && NF {print $$1}' '$(LINES_FILE)')
DEFAULT_LINE := $(firstword $(ALL_LINES))
LINE ?= $(DEFAULT_LINE)
line_row := $(shell awk -v l='$(LINE)' '!/^[[:space:]]*\#/ && NF && $$1 == l {print $$2, $$3, $$4; exit}' '$(LINES_FILE)')
ifeq ($(line_row),)
$(error LINE=$(LINE) is not in hacking/ansible-lines (lines: $(ALL_LINES)))
endif
# Python series for hacking/find-python: "3.11" = newest 3.11.x, "3.12+" = newest Python >= 3.12.
PYTHON_SERIES ?= $(word 1,$(line_row))
# pip requirement for ansible-core, e.g. `make venv ANSIBLE_CORE='ansible-core>=2.20,<2.21'`.
ANSIBLE_CORE ?= $(word 2,$(line_row))
VENV ?= $(CURDIR)/$(word 3,$(line_row))
# Interpreter to build the venv from; empty = found by hacking/find-python from PYTHON_SERIES.
PYTHON ?=
BUILD := $(CURDIR)/.build
# ANSIBLE_COLLECTIONS_PATH for tests: ansible_collections/alohub/callcenter -> this repo (symlink).
COLLECTIONS := $(BUILD)/collections
SANITY_ARGS ?=
PYTEST_ARGS ?= -ra
DEMO_ARGS ?=
BENCH_ARGS ?=
# Which lines `make matrix` runs (default: all of them).
LINES ?= $(ALL_LINES)

# The test tools of the venv: everything on the newest line, where make test runs lint, docs, molecule
# and the release tooling; what units, integration and sanity need on the other lines.
REQUIREMENTS ?= $(CURDIR)/tests/$(if $(filter $(LINE),$(DEFAULT_LINE)),requirements-dev.txt,requirements-line.txt)

export ANSIBLE_CORE PYTHON PYTHON_SERIES VENV REQUIREMENTS

VPY := $(VENV)/bin/python
# Environment of everything that runs Ansible or imports the collection: the venv's tools first
# on PATH, the collection importable as ansible_collections.alohub.callcenter, the simulator importable
# as alohub_sim and the shared test support as alohub_test (tests/support; pytest also finds both through
# tests/pytest.ini), and no collection from ~/.ansible shadowing the work tree.
TEST_ENV := PATH="$(VENV)/bin:$$PATH" \
	ANSIBLE_COLLECTIONS_PATH="$(COLLECTIONS)" \
	PYTHONPATH="$(COLLECTIONS):$(CURDIR)/tests/support:$(CURDIR)/tests/simulator$${PYTHONPATH:+:$$PYTHONPATH}"

.PHONY: help venv collection-link sanity units integration lint molecule test matrix \
	demo bench soak soak-quick docs build changelog changelog-lint changelog-release clean distclean check-queues bench-lifecycle coverage crash-trials

help: ## list the targets
	@grep -hE '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-17s %s\n", $$1, $$2}'

venv: ## the line's venv (.venv; LINE=2.16 -> .venv-2.16) with ansible-core and the dev tools (idempotent)
	@hacking/venv.sh
	@# The newest line's venv holds ansible-rulebook, whose rules engine needs a Java 17+ runtime.
	@if [ "$(LINE)" = "$(DEFAULT_LINE)" ]; then hacking/java.sh; fi

collection-link: ## .build/collections/ansible_collections/alohub/callcenter -> this repo
	@hacking/collection-tree.sh link "$(COLLECTIONS)" >/dev/null

# ansible-test needs a real directory (it resolves symlinks), so sanity runs in a private copy.
sanity: venv ## ansible-test sanity, offline, on the venv's Python (SANITY_ARGS='--test pep8')
	@hacking/sanity.sh $(SANITY_ARGS)

units: venv collection-link ## pytest tests/unit, in process (on xdist workers: the property-based tests take a while)
	@$(TEST_ENV) hacking/pytest-dir.sh tests/unit -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The end-to-end tests run on PYTEST_WORKERS pytest-xdist workers (each starts its own simulator;
# a file's tests stay on one worker, so its module-scoped playbook runs happen once; 0 = no xdist).
# Tests whose subject does not depend on the ansible-core line run on the newest line only: the
# release tooling (mark `release`) and the HTTP client's behaviour under faults, races and rate
# limits (mark `line_independent`). The shipped playbooks, the role and interrupted runs (mark
# `template_engine`) depend on ansible-core's template engine and worker model, of which the lines
# hold two generations (2.16-2.18; 2.19 and later): they run on the newest and the oldest line.
# The lines between run the module layer (arguments, module_defaults, no_log, environment fallbacks).
# INTEGRATION_MARKS= runs everything on any line.
PYTEST_WORKERS ?= auto
OLDEST_LINE := $(lastword $(ALL_LINES))
INTEGRATION_MARKS ?= $(if $(filter $(LINE),$(DEFAULT_LINE)),,not release and not line_independent$(if $(filter $(LINE),$(OLDEST_LINE)),, and not template_engine))
coverage: venv collection-link ## in-process coverage of plugins/modules and plugins/module_utils by tests/unit (target: 97 %)
	@$(TEST_ENV) "$(VPY)" -m pytest tests/unit -q -p no:cacheprovider -n $(PYTEST_WORKERS) \
		--cov=ansible_collections.alohub.callcenter.plugins.modules \
		--cov=ansible_collections.alohub.callcenter.plugins.module_utils --cov-report=term-missing --cov-fail-under=97

integration: venv collection-link ## pytest tests/integration (real ansible-playbook against the simulator, on xdist workers)
	@$(TEST_ENV) hacking/pytest-dir.sh tests/integration -n $(PYTEST_WORKERS) --dist loadfile \
		$(if $(INTEGRATION_MARKS),-m "$(INTEGRATION_MARKS)") $(PYTEST_ARGS)

# The whole repository: ansible-lint finds playbooks, roles, molecule scenarios, meta/, galaxy.yml,
# changelogs/, the EE file ... by itself; .ansible-lint says what to skip (venvs, build output).
lint: venv collection-link ## ansible-lint, production profile, over the whole repository (.ansible-lint)
	@echo "ansible-lint: the repository (profile, offline mode and excluded paths: .ansible-lint)"
	@# --offline: TEST_ENV already finds the collection; without it ansible-lint installs a copy into ~/.ansible/collections.
	@# ANSIBLE_HOME private to the run: ansible-lint keeps its mock modules (.ansible-lint mock_modules) there, and removes
	@# them when it ends, so runs sharing ~/.ansible (other work trees, CI beside a developer) break each other's syntax checks.
	@mkdir -p "$(BUILD)"; home=$$(mktemp -d "$(BUILD)/lint-home.XXXXXX"); trap 'rm -rf "$$home"' EXIT; \
		$(TEST_ENV) ANSIBLE_HOME="$$home" ansible-lint --offline

molecule: venv collection-link ## molecule test for every scenario (extensions/molecule/*)
	@$(TEST_ENV) hacking/molecule.sh

# Everything CI runs (.ci/run runs this). Cheapest first on the default line, so a broken change
# fails early (changelog lint and units take seconds), then sanity, lint, docs, the end-to-end runs;
# the units and integration suites of every other line run meanwhile in a second lane (hacking/test.sh;
# TEST_LANES=1 for one step after another). One table at the end, a row per line.
# In CI every step runs even after a failure (KEEP_GOING=1 when CI is set), so one run reports all.
# The newest line's integration comes last: it is the step that uses both cores (xdist) once the
# other lane is done, while the steps before it leave one free for that lane.
TEST_STEPS ?= venv,changelog-lint,units,sanity,lint,docs,molecule,soak-quick,integration
MATRIX_STEPS ?= venv,units,integration
# Sanity also runs on the oldest line (the ansible-core floor of meta/runtime.yml's requires_ansible).
OLDEST_STEPS ?= $(MATRIX_STEPS),sanity
test: ## everything CI runs: the default line in full, units + integration on every other line
	@TEST_NAME=test hacking/test.sh $(DEFAULT_LINE):$(TEST_STEPS) \
		$(foreach l,$(filter-out $(DEFAULT_LINE),$(ALL_LINES)),$(l):$(if $(filter $(l),$(OLDEST_LINE)),$(OLDEST_STEPS),$(MATRIX_STEPS)))

matrix: ## venv + units + integration on each line (LINES='2.16 2.20' for some)
	@TEST_NAME=matrix hacking/test.sh $(foreach l,$(LINES),$(l):$(MATRIX_STEPS))

build: venv ## ansible-galaxy collection build (of the files git would commit) into .build/dist
	@PATH="$(VENV)/bin:$$PATH" hacking/build.sh "$(BUILD)/dist"

demo: venv ## build + install the collection, start the simulator, run playbooks/demo.yml
	@PATH="$(VENV)/bin:$$PATH" hacking/demo.sh $(DEMO_ARGS)

# A pull-request check of a queues file: playbooks/validate.yml (inbound_queues state=rendered), no key, no network.
QUEUES ?=
check-queues: venv collection-link ## validate a queues file offline, no key needed: make check-queues QUEUES=queues/acme.yml
	@if [ -z "$(QUEUES)" ]; then echo "check-queues: give the file, e.g. make check-queues QUEUES=queues/acme.yml" >&2; exit 2; fi
	@$(TEST_ENV) env -u ALOHUB_API_KEY ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false \
		ansible-playbook -i localhost, playbooks/validate.yml -e queues_file="$(abspath $(QUEUES))"

bench: venv collection-link ## the benchmark, tests/bench/bench.py (not part of make test; BENCH_ARGS=--quick)
	@$(TEST_ENV) "$(VPY)" tests/bench/bench.py $(BENCH_ARGS)

bench-lifecycle: venv collection-link ## plan, apply, rollback and a dev -> prod promotion of 500 queues: times, requests, the race window (BENCH_ARGS='--compare-with 78c2b5a': apply A/B, the write-ahead backup)
	@$(TEST_ENV) "$(VPY)" tests/bench/lifecycle.py $(BENCH_ARGS)

# make test runs a few crash trials (test_crash_trials.py); this runs the full set, one after another, printing each.
CRASH_TRIALS ?= 24
crash-trials: venv collection-link ## kill applies at random points (SIGKILL, SIGTERM, SIGINT, ansible-runner cancel; parallel 1 and 4), then roll back and re-apply: CRASH_TRIALS trials
	@$(TEST_ENV) ALOHUB_CRASH_TRIALS=$(CRASH_TRIALS) "$(VPY)" -m pytest tests/integration/test_crash_trials.py -p no:cacheprovider -s -q $(PYTEST_ARGS)

soak: venv collection-link ## bounded soak: 2,000 queue updates across 5 tenants under seeded chaos (not in make test)
	@$(TEST_ENV) "$(VPY)" tests/soak/soak.py --updates 2000 --tenants 5 $(SOAK_ARGS)

soak-quick: venv collection-link ## the 60-second soak that make test runs
	@$(TEST_ENV) "$(VPY)" tests/soak/soak.py --duration 60 $(SOAK_ARGS)

# Every module's documentation must render with ansible-doc (no module found fails); then
# hacking/build-docs.sh builds the docs site (antsibull-docs + Sphinx).
docs: venv collection-link ## render every plugin's documentation with ansible-doc, then build the docs site
	@plugins=$$($(TEST_ENV) ansible-doc -t module -l alohub.callcenter -j | "$(VPY)" -c 'import json, sys; print(*sorted(json.load(sys.stdin)))'); \
	if [ -z "$$plugins" ]; then echo "docs: ansible-doc lists no module of alohub.callcenter: failing" >&2; exit 1; fi; \
	for m in $$plugins; do $(TEST_ENV) ansible-doc -t module "$$m" >/dev/null; done; \
	echo "docs: $$(echo $$plugins | wc -w) module doc(s) render with ansible-doc"
	@$(TEST_ENV) hacking/build-docs.sh

changelog-lint: venv ## fragments and changelogs/changelog.yaml lint clean, CHANGELOG.rst up to date (seconds)
	@PATH="$(VENV)/bin:$$PATH" hacking/changelog.sh lint

changelog: venv ## regenerate CHANGELOG.rst from changelogs/changelog.yaml
	@PATH="$(VENV)/bin:$$PATH" hacking/changelog.sh generate

changelog-release: venv collection-link ## antsibull-changelog release for galaxy.yml's version (fragments -> changelog.yaml)
	@$(TEST_ENV) hacking/changelog.sh release

clean: ## remove .build/, tests/output/ and Python caches (keeps the venvs)
	rm -rf "$(BUILD)" tests/output .pytest_cache
	find . \( -path './.venv*' -o -path ./.git \) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean ## clean, and remove every line's venv too (.venv, .venv-2.16, ...)
	rm -rf $(foreach l,$(ALL_LINES),"$(CURDIR)/$(shell awk -v l='$(l)' '$$1 == l {print $$4; exit}' '$(LINES_FILE)')")
