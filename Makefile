# The two commands of the quick start: `make run` and `make test`.
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 600
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
LISTEN ?= 127.0.0.1:9324
# Lets ccache reuse objects across clones (CI builds in a fresh folder).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true

.PHONY: deps test-deps configure build server run test unit asan e2e format clean fuzz-build fuzz package

deps:
	@tools/install-deps.sh

test-deps:
	@tools/install-deps.sh --test

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

# Everything: the server, the tests and the microbenchmarks (make test).
build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# Just the server: `make run` compiles no test.
server: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target sluice

run: server
	$(BUILD)/sluice serve --listen $(LISTEN)

# The Debian package (docs/operations.md): $(BUILD)/package/sluice_VERSION_ARCH.deb.
package: server
	tools/package-deb.sh $(BUILD)/sluice $(BUILD)/package

$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSLUICE_SANITIZE=ON \
	  -DSLUICE_BENCHMARKS=OFF

asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)

unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test: test-deps build asan fuzz-build
	tools/run-tests.sh $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

# libFuzzer targets (fuzz/README.md): clang, only the parsing libraries.
$(FUZZ_BUILD)/build.ninja:
	CC=clang-14 CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD) -G Ninja \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLUICE_FUZZ=ON -DSLUICE_BENCHMARKS=OFF

fuzz-build: test-deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS)

# Longer runs: make fuzz FUZZ_SECONDS=600 [FUZZ_TARGETS="fuzz_sigv4 ..."]; the working corpus is
# kept in $(FUZZ_BUILD)/fuzz-corpus between runs.
fuzz: fuzz-build
	FUZZ_CORPUS_DIR=$(FUZZ_BUILD)/fuzz-corpus fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
