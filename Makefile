# Thin wrapper over CMake. `make demo` and `make test` are the only commands a
# newcomer needs: each installs missing Debian packages (as root), configures
# and builds first.
BUILD    ?= build
ASAN     ?= build-asan
JOBS     ?= 2
PKGS     := libunicorn-dev libcapstone-dev libelf-dev check pkg-config cmake \
            clang lld llvm gdb-multiarch python3 openssl \
            libxml2-utils yamllint
# tests/picture: modbed map's SVG rendered to PNG.
PKGS     += librsvg2-bin netpbm
# tests/oracle: real kernels under QEMU, a static /init per arch, the compare.
PKGS     += qemu-system-x86 qemu-system-arm qemu-system-ppc cpio gcc libc6-dev
# tests/corpus/kbuild.sh: module sets and the ppc32 kernel from Debian's source.
PKGS     += linux-source-6.1 gcc-powerpc-linux-gnu binutils-powerpc-linux-gnu \
            gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu flex bison bc \
            libssl-dev kmod
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all deps configure build demo test bench asan fuzz corpus pictures clean

all: build

deps:
	@missing=""; \
	for p in $(PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' \
	    || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "modbed: installing missing Debian packages:$$missing"; \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing || exit 1; \
	  else \
	    echo "modbed: missing Debian packages:$$missing"; \
	    echo "modbed: run: sudo apt-get update && sudo apt-get install -y$$missing"; \
	    exit 1; \
	  fi; \
	fi

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

configure: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	@$(BUILD)/harness/modbed-demo.sh $(BUILD)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --output-junit junit.xml $(CTEST_ARGS)
	@echo "modbed: JUnit results in $(BUILD)/junit.xml"

bench: build
	cmake --build $(BUILD) -j$(JOBS) --target bench
	@for b in $(BUILD)/bench/bench_*; do [ -x "$$b" ] && "$$b" || exit 1; done

asan: deps
	cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DMODBED_SANITIZE=ON
	cmake --build $(ASAN) -j$(JOBS)
	cd $(ASAN) && ctest --output-on-failure -j$(JOBS) -LE corpus $(CTEST_ARGS)
	@# A sample of the corpus relocation check (every 10th module of both
	@# arches, dumped by the sanitized modbed and compared with ld.lld).
	cd $(ASAN) && ctest --output-on-failure -j$(JOBS) -L corpus-sample $(CTEST_ARGS)

# libFuzzer on the ELF path for longer than the CTest run (FUZZ_RUNS
# executions; extra libFuzzer options in FUZZ_ARGS, e.g. -max_total_time=600;
# a crashing input is kept as ./fuzz-crash-*).
FUZZ_RUNS ?= 5000000
fuzz: build
	tests/fuzz/run_fuzz.sh $(BUILD)/fuzz-clang/tests/fuzz/fuzz_elf $(FUZZ_RUNS) $(BUILD)/tests/modules \
	  tests/fuzz/corpus $(BUILD)/modbed openssl $(FUZZ_ARGS)

corpus: build
	tests/corpus/fetch.sh
	cd $(BUILD) && ctest --output-on-failure -L corpus

# docs/pictures/*.svg (README "modbed map"), from the Debian amd64 corpus.
pictures: build
	docs/pictures/generate.sh $(BUILD)/modbed

clean:
	rm -rf $(BUILD) $(ASAN)
