# The README's two commands: `make demo` and `make test`. Both install what is missing first.
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 10
SOAK_SECONDS ?= 180
export CCACHE_DIR ?= $(HOME)/.cache/ccache
# Cache hits across checkouts (CI builds a fresh clone elsewhere): paths relative to the tree.
export CCACHE_BASEDIR ?= $(CURDIR)
export CCACHE_NOHASHDIR ?= 1

.PHONY: all deps build demo test test-main test-asan test-tsan test-fuzz soak bench install deb docs clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@bash scripts/demo.sh $(BUILD)

test: deps
	@$(MAKE) --no-print-directory test-main test-asan test-tsan test-fuzz

test-main: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

$(ASAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCPPVISA_SANITIZE=ON \
	      -DCPPVISA_BUILD_BENCH=OFF -DCPPVISA_BUILD_EXAMPLES=OFF -DCPPVISA_BUILD_CABI=ON -DCPPVISA_UNITY_BUILD=ON

test-asan: deps $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS) -L 'unit|integration'

# ThreadSanitizer over the threaded tests: the thread-safety stress test, asynchronous I/O, the
# reactor and work pool, events, locks, the gateway. TSan must report nothing. Only these test files
# are compiled (CPPVISA_TEST_FILES), at -O1 with line tables only (-g1): at -O2 -g a TSan build of
# the library costs about twice the compiler time. The sanitizer trees compile the library as a
# unity build (CPPVISA_UNITY_BUILD): a third to a half less compiler time at -O0/-O1 (measured on
# src/backends/sim; none at -O2 -g, where code generation dominates).
TSAN_TEST_FILES ?= test_(thread_safety|cabi_async|cabi|locks|gateway|lock_table|events|reactor|work_pool|served_device|serial_line_watch|async_many|serial_events|exception_event|tls_link|hislip_loopback)
$(TSAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
	      -DCPPVISA_BUILD_BENCH=OFF -DCPPVISA_BUILD_EXAMPLES=OFF -DCPPVISA_BUILD_TOOLS=OFF \
	      -DCPPVISA_UNITY_BUILD=ON -DCPPVISA_TEST_FILES='$(TSAN_TEST_FILES)' \
	      -DCMAKE_CXX_FLAGS="-fsanitize=thread" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" \
	      -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread"

test-tsan: deps $(TSAN_BUILD)/CMakeCache.txt
	cmake --build $(TSAN_BUILD) -j $(JOBS) --target unit_tests integration_tests
	cd $(TSAN_BUILD) && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp" \
	  ctest --output-on-failure -j $(JOBS) -L 'unit|integration' -E '^usb\.'

$(FUZZ_BUILD)/CMakeCache.txt:
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCPPVISA_FUZZ=ON \
	      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
	      -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined"

test-fuzz: deps $(FUZZ_BUILD)/CMakeCache.txt
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	@bash scripts/run-fuzzers.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(JOBS)

# Clients on every LAN protocol through a fault proxy and the gateway for SOAK_SECONDS (not in
# `make test`): operations, errors by status and memory over time in $(BUILD)/soak-report.txt.
soak: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target soak
	$(BUILD)/tests/soak --seconds $(SOAK_SECONDS) --out $(BUILD)/soak-report.txt

bench: build
	@bash bench/run.sh $(BUILD)

# `make install` installs into the configured prefix (/usr/local); `make install PREFIX=~/opt/cppvisa`
# or `make install DESTDIR=/tmp/stage` elsewhere. Nothing is written outside that destination.
install: build
	cmake --install $(BUILD) $(if $(PREFIX),--prefix $(PREFIX))

# The Debian package: $(BUILD)/packages/cppvisa_<version>_<arch>.deb (sudo apt install ./that.deb).
deb: build
	cmake --build $(BUILD) --target deb

# The API reference from the public headers: $(BUILD)/docs/html/index.html.
docs: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) --target docs

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
