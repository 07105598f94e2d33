# coreg-audio: `make demo` renders a practice, `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

RUNTIME_PACKAGES := espeak-ng libespeak-ng1 ffmpeg libportaudio2
TEST_PACKAGES := $(RUNTIME_PACKAGES) mp3val pulseaudio pulseaudio-utils libasound2-plugins chromium chromium-driver

.PHONY: demo test bench fuzz lint check-python system-packages test-system-packages clean

demo: system-packages $(VENV)/.installed
	$(BIN)/coreg-audio render breath-sync -o breath-sync.mp3

test: test-system-packages $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest

bench: test-system-packages $(VENV)/.installed-test
	$(BIN)/python -m benchmarks.bench

fuzz: test-system-packages $(VENV)/.installed-test
	$(BIN)/python -m benchmarks.fuzz --cases 100000 --jobs 2

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

system-packages:
	@tools/system-packages.sh $(RUNTIME_PACKAGES)

test-system-packages:
	@tools/system-packages.sh $(TEST_PACKAGES)

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
	  { echo "coreg-audio needs Python 3.11 or newer; set PYTHON=python3.11 (or newer)" >&2; exit 1; }

$(VENV)/bin/python: | check-python
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[voice]'
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist
