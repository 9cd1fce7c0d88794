# Build and test tooling for the alohub.callcenter collection (the repo root is the collection root).
# `make help` lists the targets; docs/development.md explains the layout.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# ansible-core under test; override e.g. `make venv ANSIBLE_CORE='ansible-core>=2.20,<2.21'`.
ANSIBLE_CORE ?= ansible-core>=2.21,<2.22
# Interpreter to build the venv from; empty = the newest Python >= 3.12 (hacking/find-python).
PYTHON ?=
VENV ?= $(CURDIR)/.venv
BUILD := $(CURDIR)/.build
# ANSIBLE_COLLECTIONS_PATH for tests: ansible_collections/alohub/callcenter -> this repo (symlink).
COLLECTIONS := $(BUILD)/collections
SANITY_ARGS ?=
PYTEST_ARGS ?= -ra
DEMO_ARGS ?=
BENCH_ARGS ?=

export ANSIBLE_CORE PYTHON VENV

VPY := $(VENV)/bin/python
# Environment of everything that runs Ansible or imports the collection: the venv's tools first
# on PATH, the collection importable as ansible_collections.alohub.callcenter, the simulator importable
# as alohub_sim, and no collection from ~/.ansible shadowing the work tree.
TEST_ENV := PATH="$(VENV)/bin:$$PATH" \
	ANSIBLE_COLLECTIONS_PATH="$(COLLECTIONS)" \
	PYTHONPATH="$(COLLECTIONS):$(CURDIR)/tests/simulator$${PYTHONPATH:+:$$PYTHONPATH}"

.PHONY: help venv collection-link sanity units integration lint molecule test \
	demo bench docs build changelog-lint clean distclean

help: ## list the targets
	@grep -hE '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

venv: ## .venv with ansible-core, requests, pytest, ansible-lint, molecule (idempotent)
	@hacking/venv.sh

collection-link: ## .build/collections/ansible_collections/alohub/callcenter -> this repo
	@hacking/collection-tree.sh link "$(COLLECTIONS)" >/dev/null

# ansible-test needs a real directory (it resolves symlinks), so sanity runs in a private copy.
sanity: venv ## ansible-test sanity, offline, on the venv's Python (SANITY_ARGS='--test pep8')
	@hacking/sanity.sh $(SANITY_ARGS)

units: venv collection-link ## pytest tests/unit
	@$(TEST_ENV) hacking/pytest-dir.sh tests/unit $(PYTEST_ARGS)

integration: venv collection-link ## pytest tests/integration (real ansible-playbook against the simulator)
	@$(TEST_ENV) hacking/pytest-dir.sh tests/integration $(PYTEST_ARGS)

lint: venv collection-link ## ansible-lint (production profile) on roles/ and playbooks/
	@paths=$$(for d in roles playbooks extensions; do if [ -d "$$d" ]; then echo "$$d"; fi; done); \
	if [ -z "$$paths" ]; then echo "lint: no roles/, playbooks/ or extensions/ yet: nothing to lint"; exit 0; fi; \
	echo "ansible-lint" $$paths "  (profile and offline mode: .ansible-lint)"; \
	$(TEST_ENV) ansible-lint $$paths

molecule: venv collection-link ## molecule test for every scenario (roles/*/molecule, extensions/molecule)
	@$(TEST_ENV) hacking/molecule.sh

# Cheapest first, so a broken change fails in seconds: units, then the sanity suite, lint, and the
# slow end-to-end runs.
test: ## everything CI runs: units, sanity, lint, integration, molecule
	@$(MAKE) units
	@$(MAKE) sanity
	@$(MAKE) lint
	@$(MAKE) integration
	@$(MAKE) molecule

build: venv ## ansible-galaxy collection build (of the files git would commit) into .build/dist
	@PATH="$(VENV)/bin:$$PATH" hacking/build.sh "$(BUILD)/dist"

demo: venv ## build + install the collection, start the simulator, run playbooks/demo.yml
	@PATH="$(VENV)/bin:$$PATH" hacking/demo.sh $(DEMO_ARGS)

bench: venv collection-link ## the benchmark, tests/bench/bench.py (not part of make test; BENCH_ARGS=--quick)
	@if [ -f tests/bench/bench.py ]; then $(TEST_ENV) "$(VPY)" tests/bench/bench.py $(BENCH_ARGS); \
	else echo "bench: tests/bench/bench.py is not written yet"; fi

docs: venv collection-link ## render every plugin's documentation with ansible-doc
	@plugins=$$($(TEST_ENV) ansible-doc -t module -l alohub.callcenter -j | "$(VPY)" -c 'import json, sys; print(*sorted(json.load(sys.stdin)))'); \
	if [ -z "$$plugins" ]; then echo "docs: no modules yet"; exit 0; fi; \
	for m in $$plugins; do echo "== $$m"; $(TEST_ENV) ansible-doc -t module "$$m" >/dev/null; done; \
	echo "docs: $$(echo $$plugins | wc -w) module doc(s) render"

changelog-lint: ## antsibull-changelog lint of changelogs/ (ansible-test's changelog sanity test)
	@$(MAKE) sanity SANITY_ARGS="--test changelog"

clean: ## remove .build/, tests/output/ and Python caches (keeps .venv)
	rm -rf "$(BUILD)" tests/output .pytest_cache
	find . \( -path ./.venv -o -path ./.git \) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean ## clean, and remove .venv too
	rm -rf "$(VENV)"
