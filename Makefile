# Two commands do all the set-up on a fresh machine: `make book` and `make test`.
# Each creates .venv with the pinned environment when it is missing or out of date.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard book/*.ipynb))
# MathJax for the book's equations, served with the pages (no CDN): the version pinned in the lock file.
MATHJAX := _mathjax/node_modules/.installed

.PHONY: book catalogs student-notebooks test test-machines test-seeds system-packages notebooks device-check gpu-check lint clean student assignments grade

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

$(MATHJAX): _mathjax/package.json _mathjax/package-lock.json
	npm ci --prefix _mathjax --no-audit --no-fund --loglevel=error
	touch $(MATHJAX)

# The web pages, the Chinese edition beside them (_build/html/zh/, from locales/zh_CN), then each edition
# as one PDF (printed by chromium), which its front page links to.
book: system-packages $(STAMP) $(MATHJAX)
	$(BIN)/jupyter-book build . -W --keep-going
	$(BIN)/python tools/translation.py build
	$(BIN)/python tools/print_book.py
	$(BIN)/python tools/print_book.py --language zh_CN
	@echo "The book is at $(CURDIR)/_build/html/index.html"

# The browser test drives Debian's chromium (and reads the Chinese edition in a system font with Chinese
# characters), npm installs MathJax, and the grading test sandboxes submissions with bubblewrap: installed
# here when missing and this is a Debian machine run as root, else make stops with one line that says what
# to install.
system-packages:
	@missing=""; \
	{ [ -n "$$CHROMIUM" ] || command -v chromium >/dev/null; } || missing="$$missing chromium"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	command -v bwrap >/dev/null || missing="$$missing bubblewrap"; \
	fc-list :lang=zh 2>/dev/null | grep -q . || missing="$$missing fonts-wqy-microhei"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "make test needs:$$missing (Debian: sudo apt-get install$$missing; or set CHROMIUM=/path/to/chromium)"; exit 1; \
	  fi; \
	fi

# After a change to the English text: merge its new and changed messages into the Chinese catalogs
# (locales/zh_CN/LC_MESSAGES/), then translate what is new or marked fuzzy; tests/test_translation.py fails
# until every message is translated.
catalogs: $(STAMP)
	$(BIN)/python tools/translation.py update

NBVAL := $(BIN)/pytest -n 2 --dist loadfile --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg

test: system-packages $(STAMP) $(MATHJAX)
	$(NBVAL)

# The notebooks as other machines compute them: torch's portable kernels, its AVX2 kernels, two threads.
# Every stored output that nbval compares must come out the same there, and every claim must hold.
# (Waiting OpenMP threads sleep instead of spinning: two notebooks at once on two cores stay fast; the
# arithmetic is the same.)
MACHINES ?= ATEN_CPU_CAPABILITY=default ATEN_CPU_CAPABILITY=avx2 RNNTUTOR_THREADS=2
test-machines: $(STAMP)
	for variation in $(MACHINES); do \
	  echo "== notebooks with $$variation"; env OMP_WAIT_POLICY=passive $$variation $(NBVAL) book || exit 1; \
	done

# Other random draws: with every seed shifted by RNNTUTOR_SEED_OFFSET, every cell runs and every claim holds
# (outputs are not compared: they are another run's).
SEED_OFFSETS ?= 1 23 500
test-seeds: $(STAMP)
	for offset in $(SEED_OFFSETS); do \
	  echo "== notebooks with RNNTUTOR_SEED_OFFSET=$$offset"; \
	  RNNTUTOR_SEED_OFFSET=$$offset $(BIN)/pytest -n 2 --dist loadfile --nbval-lax --nbval-current-env book || exit 1; \
	done

notebooks: $(STAMP)
	for nb in $(NOTEBOOKS); do \
	  echo "executing $$nb"; \
	  $(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=600 "$$nb" || exit 1; \
	done

# Every chapter on a CUDA GPU (Colab's kind of machine): pass or fail, the time and peak GPU memory of each
# notebook, and its time on one CPU core (run beside it): a chapter slower on the GPU fails, as does a book
# that takes 5 minutes or more there.
gpu-check: $(STAMP)
	$(BIN)/python tools/run_notebooks.py --device cuda

# Every chapter on the CPU posing as a GPU (tools/standin_device.py): a model, a batch or a random generator
# that ignores `device` fails here as it would on a GPU, on a machine without one.
device-check: $(STAMP)
	$(BIN)/python tools/run_notebooks.py --device standin

# Student versions of the chapters in student/: solutions removed, exercise stubs shown, outputs cleared.
student: $(STAMP)
	$(BIN)/python -m rnntutor student --output student $(NOTEBOOKS)

# What students open on Colab from the instructors' page: the student chapters and assignments in one folder,
# which .github/workflows/student-notebooks.yml publishes as the branch student-notebooks.
STUDENT_NOTEBOOKS ?= build/student-notebooks
student-notebooks: student assignments
	rm -rf $(STUDENT_NOTEBOOKS) && mkdir -p $(STUDENT_NOTEBOOKS)/chapters $(STUDENT_NOTEBOOKS)/assignments
	cp student/*.ipynb $(STUDENT_NOTEBOOKS)/chapters/
	cp build/assignments/*/student/*.ipynb $(STUDENT_NOTEBOOKS)/assignments/

# The graded assignments in build/assignments/: otter assign's student and autograder versions, the zips.
assignments: $(STAMP)
	$(BIN)/python tools/assignments.py --output build/assignments

# Grade a folder of submitted notebooks: each in its own sandboxed process with a time limit; the scores in
# build/grades/ASSIGNMENT.csv. Builds the assignment first when its autograder is missing or older than its source.
# Each process of a submission may map MEMORY gigabytes and use CPU_TIME CPU seconds (default twice TIMEOUT).
# make grade ASSIGNMENT=lstm_step SUBMISSIONS=path/to/folder [TIMEOUT=300] [MEMORY=4] [CPU_TIME=600] [SANDBOX=auto|bwrap|user|none] [JOBS=1]
TIMEOUT ?= 300
MEMORY ?= 4
CPU_TIME ?=
SANDBOX ?= auto
JOBS ?= 1
grade: $(STAMP)
	@test -n "$(ASSIGNMENT)" && test -n "$(SUBMISSIONS)" || \
	  { echo "usage: make grade ASSIGNMENT=<name> SUBMISSIONS=<folder> [TIMEOUT=300] [MEMORY=4] [CPU_TIME=600] [SANDBOX=auto|bwrap|user|none] [JOBS=1]"; exit 2; }
	@source=assignments/$(ASSIGNMENT)/$(ASSIGNMENT).ipynb; \
	test -f $$source || { echo "no assignment $(ASSIGNMENT): expected $$source"; exit 2; }; \
	zip=$$(ls -t build/assignments/$(ASSIGNMENT)/autograder/$(ASSIGNMENT)-autograder_*.zip 2>/dev/null | head -1); \
	if [ -z "$$zip" ] || [ $$source -nt "$$zip" ]; then $(BIN)/python tools/assignments.py $$source || exit 1; fi; \
	zip=$$(ls -t build/assignments/$(ASSIGNMENT)/autograder/$(ASSIGNMENT)-autograder_*.zip | head -1); \
	$(BIN)/python -m rnntutor.grading "$$zip" "$(SUBMISSIONS)" --output build/grades/$(ASSIGNMENT).csv \
	  --timeout $(TIMEOUT) --memory $(MEMORY) $(if $(CPU_TIME),--cpu-time $(CPU_TIME)) --sandbox $(SANDBOX) --jobs $(JOBS)

lint: $(STAMP)
	$(BIN)/ruff check .

# What make book, student, assignments and grade wrote.
clean:
	rm -rf _build student build/assignments build/grades build/student-notebooks
