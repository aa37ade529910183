# The front door. Every target runs scripts/setup first, so a fresh Debian machine needs
# nothing else. The build tree is build/; executables land in build/bin/.
JOBS ?= $(shell nproc)
# Compiler cache keyed on paths relative to the checkout, so every clone shares hits.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true
CMAKE_FLAGS ?=

.PHONY: setup build test test-unit test-sanitize run bench fuzz fuzz-run format clean

setup:
	@scripts/setup

build: setup
	@cmake -S . -B build -G Ninja $(CMAKE_FLAGS) >/dev/null
	@cmake --build build -j $(JOBS)

# All tests: unit, integration (real broker, kcat, librdkafka, kafkajs) and fault tests.
test: build
	@ctest --test-dir build --output-on-failure -j $(JOBS) --timeout 900

test-unit: build
	@ctest --test-dir build --output-on-failure -j $(JOBS) -L unit

# ASan + UBSan build of the unit and integration tests, in its own tree under build/.
test-sanitize: setup
	@cmake -S . -B build/sanitize -G Ninja -DVELOCITY_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build build/sanitize -j $(JOBS)
	@ctest --test-dir build/sanitize --output-on-failure -j $(JOBS) -L 'unit|integration' --timeout 900

# The whole store on embedded defaults (broker, services, gateway): http://127.0.0.1:8080.
# Extra flags for `velocity up` go in UP_FLAGS, e.g. make run UP_FLAGS="--fresh --quiet".
UP_FLAGS ?=
run: build
	@build/bin/velocity up $(UP_FLAGS)

bench: setup
	@cmake -S . -B build -G Ninja -DVELOCITY_BENCH=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build build -j $(JOBS)
	@bench/run

# libFuzzer targets, built with clang in build/fuzz: every target of velocity_fuzz_target()
# plus the common unit tests, which prove the <expected> fallback clang needs there.
fuzz: setup
	@cmake -S . -B build/fuzz -G Ninja -DVELOCITY_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
	@cmake --build build/fuzz -j $(JOBS) --target fuzzers velocity_common_test

# Runs every fuzz target for FUZZ_SECONDS (default 60) each from the capture seed corpus;
# fails on any crash, leak or hang (scripts/fuzz).
fuzz-run: fuzz
	@scripts/fuzz build/fuzz

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	@rm -rf build
