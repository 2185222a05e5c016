# Two commands do all the set-up on a fresh machine: `make book` and `make test`.
# Each creates .venv with the pinned environment when it is missing or out of date.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard book/*.ipynb))
# MathJax for the book's equations, served with the pages (no CDN): the version pinned in the lock file.
MATHJAX := _mathjax/node_modules/.installed

.PHONY: book test notebooks gpu-check lint clean student assignments

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

$(MATHJAX): _mathjax/package.json _mathjax/package-lock.json
	npm ci --prefix _mathjax --no-audit --no-fund --loglevel=error
	touch $(MATHJAX)

book: $(STAMP) $(MATHJAX)
	$(BIN)/jupyter-book build . -W --keep-going
	@echo "The book is at $(CURDIR)/_build/html/index.html"

test: $(STAMP) $(MATHJAX)
	$(BIN)/pytest -n 2 --dist loadfile --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg

notebooks: $(STAMP)
	for nb in $(NOTEBOOKS); do \
	  echo "executing $$nb"; \
	  $(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=600 "$$nb" || exit 1; \
	done

# Every chapter on a CUDA GPU (Colab's kind of machine): pass or fail and the time of each notebook.
gpu-check: $(STAMP)
	$(BIN)/python tools/run_notebooks.py --device cuda

# Student versions of the chapters in student/: solutions removed, exercise stubs shown, outputs cleared.
student: $(STAMP)
	$(BIN)/python -m rnntutor student --output student $(NOTEBOOKS)

# The graded assignments in build/assignments/: otter assign's student and autograder versions, the zips.
assignments: $(STAMP)
	$(BIN)/python tools/assignments.py --output build/assignments

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf _build
