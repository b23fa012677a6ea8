# yurtnet: the CNI plugin, daemon and CLI of OpenYurt edge gateways.
# `make demo` and `make test` are the two commands a newcomer needs; both install what they need first.
SHELL := /bin/bash
.DEFAULT_GOAL := build

CONFIG ?= Release
# The machine's own architecture unless told (make bench RID=linux-arm64 on x86_64: the arm64 footprint under qemu-user).
RID ?= linux-$(if $(filter aarch64 arm64,$(shell uname -m)),arm64,x64)
OUT ?= $(CURDIR)/out/$(RID)
SLN := Appliance.sln
# Build: clang + llvm (NativeAOT link and strip). Tests and demo: iproute2, ping, nftables; systemd for
# systemd-analyze and systemd-socket-activate (unit and activation tests; it need not be PID 1); strace
# for the test that proves each answer leaves only after its state reached the disk.
# Bench: Debian's reference plugins (bridge + host-local), the baseline it compares against. Fuzz: AFL++.
# arm64: the cross linker and libraries NativeAOT needs, and qemu-user to run the result.
# Packages: debhelper to build them, lintian to check them, debootstrap + systemd-container to boot a Debian 12
# with systemd as PID 1 that installs them. e2e: podman with runc (its CNI backend drives the plugin), a static
# busybox as the containers' root file system, curl for the published port; containerd (its CRI plugin drives the
# plugin; bench measures it there too), gcc and libc6-dev for the static pause binary of its sandbox image.
# test-hil: qemu-system-arm for the arm64 board, device-tree-compiler and python3 for its device tree and helpers
# (debootstrap, qemu-user-static).
DEB_PACKAGES := clang llvm iproute2 iputils-ping nftables systemd strace containernetworking-plugins afl++ \
	binutils-aarch64-linux-gnu libc6-dev-arm64-cross libgcc-12-dev-arm64-cross qemu-user-static file \
	debhelper dpkg-dev lintian debootstrap systemd-container podman runc busybox-static curl qemu-system-arm \
	device-tree-compiler python3 containerd gcc libc6-dev
DOTNET := DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 dotnet

.PHONY: help deps build publish test e2e demo bench fuzz smoke-arm64 deb test-packages test-hil clean root-check

help: ## list the targets
	@echo "yurtnet: make <target> (targets that need root say so)"
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z0-9-]+):.*## (.*)/  \1\t\2/' | expand -t 18

deps: ## install the Debian packages the build, tests, demo and bench need (idempotent)
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then echo "deps: all present"; \
	elif [ "$$(id -u)" != 0 ]; then echo "deps: missing Debian packages:" $$missing "-- run 'sudo make deps'"; exit 1; \
	else echo "deps: installing" $$missing; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; fi

build: ## compile everything (JIT), warnings are errors
	$(DOTNET) build $(SLN) -c $(CONFIG)

publish: deps ## NativeAOT executables yurtnet, yurtnetd, yurtnetctl into out/$(RID); any AOT/trim warning from our code fails
	OUT=$(OUT) RID=$(RID) CONFIG=$(CONFIG) VERSION=$(VERSION) ./scripts/publish.sh

test: deps publish ## unit and integration tests (integration needs root; they fail instead of skipping when CI=true)
	YURTNET_BIN=$(OUT) $(DOTNET) test $(SLN) -c $(CONFIG) --logger "console;verbosity=normal"

e2e: deps publish ## real runtimes drive the plugin: podman's CNI backend, containerd's CRI plugin; each in a namespace and directories of its own (root)
	@# Both parts run whatever the first one says; the target fails if either does.
	OUT=$(OUT) ./scripts/e2e/podman.sh; podman=$$?; OUT=$(OUT) ./scripts/e2e/containerd.sh; containerd=$$?; \
	[ $$podman = 0 ] && [ $$containerd = 0 ]

demo: root-check deps publish ## two pods on one gateway, end to end (root)
	OUT=$(OUT) ./scripts/demo.sh

root-check:
	@[ "$$(id -u)" = 0 ] || { echo "make demo needs root: it creates network namespaces, a bridge and nftables rules. Run: sudo make demo"; exit 1; }

bench: deps publish ## yurtnet vs Debian's bridge + host-local: exec and ADD+DEL latency, and through containerd's CRI, with ratios
	OUT=$(OUT) ./scripts/bench.sh

fuzz: deps ## coverage-guided fuzzing of the decoders (AFL++ + SharpFuzz), FUZZ_SECONDS per target (default 60); fails on any crash
	./scripts/fuzz.sh

smoke-arm64: deps ## cross-compile for linux-arm64 and run ADD/DEL with the arm64 binaries under qemu-user (root)
	./scripts/smoke-arm64.sh

deb: deps ## Debian packages for amd64 and arm64 (cross-built, NativeAOT) into out/deb
	./scripts/packages/build.sh

test-packages: deps deb ## upgrade from the previous release (built from its tag), downgrade, reinstall, remove with pods, purge, under a loop of ADD/DEL, in a Debian 12 container with systemd as PID 1; lintian; arm64 under qemu (root)
	./scripts/packages/test.sh

test-hil: deps ## the arm64 package on real kernel drivers in an arm64 VM with systemd as PID 1: LEDs on gpio-sim, PL061 and gpio-leds, softdog and i6300esb resetting the board, systemd's watchdog (root; the VM image is built once into HIL_DIR, default /var/cache/yurtnet/hil-arm64)
	./scripts/hil/test.sh

clean: ## remove build output: out/, artifacts/ and every bin/ and obj/
	rm -rf out artifacts
	find src tests bench fuzz -type d \( -name bin -o -name obj \) -prune -exec rm -rf {} +
