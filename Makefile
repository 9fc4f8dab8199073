# Kiln's entry points. `make demo` and `make test` set everything up from a fresh Debian 12.
BUILD      ?= build
ASAN_BUILD ?= build-asan
DATA       ?= data
PYTHON     := /usr/bin/python3
CMAKE_ARGS ?=

FORMAT_FILES = $(shell git ls-files '*.h' '*.cc' 2>/dev/null)

.PHONY: all deps data build demo test test-release test-asan format format-check tidy bench clean

all: build

deps:
	./scripts/install-deps.sh

data: deps
	$(PYTHON) scripts/fetch_datasets.py $(DATA)

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DKILN_WERROR=ON $(CMAKE_ARGS)
	cmake --build $(BUILD)

demo: build data
	./scripts/demo.sh $(BUILD)/bin/kiln $(DATA)

# The whole suite: format check, release build + every test, then the unit tests under
# AddressSanitizer + UndefinedBehaviorSanitizer.
test: deps format-check test-release tidy test-asan

test-release: build data
	ctest --test-dir $(BUILD) -j2 --output-on-failure --timeout 900

test-asan: deps data
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKILN_SANITIZE=ON \
	  -DKILN_WERROR=ON -DKILN_BUILD_BENCH=OFF
	cmake --build $(ASAN_BUILD)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) -L 'unit' -j2 --output-on-failure

format:
	clang-format -i $(FORMAT_FILES)

format-check: deps
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "format-check: clean"

# clang-tidy naming checks (.clang-tidy) over every source file, using the release build's
# compile_commands.json.
tidy: build
	./scripts/check-tidy.sh $(BUILD)

bench: build
	./bench/run_linear_bench.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
