# emotion-vectors: every entry point of the artifact.
#   make demo    set up (once) and run the whole pipeline on the embedded default (offline, CPU, minutes)
#   make test    set up (once) and run the test suite (offline)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
EV := $(VENV)/bin/emotion-vectors
OUT ?=
IMAGE ?= emotion-vectors:0.1.0
HF_CACHE ?= $(HOME)/.cache/huggingface
out_flag := $(if $(OUT),--out $(OUT),)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
TEX_PACKAGES := latexmk texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended lmodern

.PHONY: setup demo reproduce test test-all lint paper tex bench lock docker-build docker-reproduce clean

setup: $(VENV)/.installed ## create .venv with the pinned dependencies and the package

$(VENV)/.installed: requirements.lock requirements-torch.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements-torch.txt
	$(PY) -m pip install -q --require-hashes --no-deps -r requirements.lock
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

demo: setup ## the whole pipeline on the demo profile -> outputs/demo/paper.pdf
	$(EV) run --config configs/demo.toml $(out_flag)

reproduce: setup ## reproduce.sh: paper tier with a GPU and the Hub, corpus-cpu with the Hub only, demo offline
	./reproduce.sh $(out_flag)

test: setup ## the offline test suite (what CI runs)
	$(PY) -m pytest -m "not gpu and not network"

lint: setup
	$(VENV)/bin/ruff check emotion_vectors tests benchmarks
	$(VENV)/bin/ruff format --check emotion_vectors tests benchmarks

paper: setup ## rebuild outputs/demo/paper/ (LaTeX sources) and outputs/demo/paper.pdf from the demo's results
	$(EV) report --config configs/demo.toml
	$(EV) paper --config configs/demo.toml

tex: ## install TeX Live + latexmk (Debian/Ubuntu), which the PDF needs; `make demo` then builds only the PDF
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(TEX_PACKAGES)

bench: setup ## throughput and speed benchmarks; print measured ratios
	$(PY) benchmarks/extract_throughput.py
	$(PY) benchmarks/analysis_speed.py
	$(PY) benchmarks/analysis_speed.py --schemes emotion story

lock: ## recompile requirements.lock from pyproject.toml (needs the package registry)
	$(VENV)/bin/pip-compile -q --generate-hashes --unsafe-package torch --no-emit-index-url \
	  --no-emit-find-links --extra dev --strip-extras -c requirements-torch.txt -o requirements.lock pyproject.toml

docker-build: ## the pinned CUDA image (needs a Docker engine)
	docker build -t $(IMAGE) .

docker-reproduce: ## reproduce inside the image on the GPU; HF_TOKEN is passed through
	mkdir -p outputs $(HF_CACHE)
	docker run --rm --gpus all -e HF_TOKEN -v $(HF_CACHE):/home/ev/.cache/huggingface \
	  -v $(CURDIR)/outputs:/work/outputs $(IMAGE) --out /work/outputs/reproduce

clean: ## remove outputs, paper builds and caches (keeps .venv)
	rm -rf outputs .pytest_cache .ruff_cache build dist *.egg-info
	find . -name __pycache__ -type d -prune -not -path './$(VENV)/*' -exec rm -rf {} +
