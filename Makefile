# The two commands that matter: `make demo` and `make test`. Both set up a fresh machine first.
SCRIPTS := end2end/scripts
.PHONY: setup build demo test unit style stack-down bench

setup:
	bash $(SCRIPTS)/setup.sh

build: setup
	bash $(SCRIPTS)/build.sh

## Berth plus the local stack (Keycloak as the identity provider, kube-apiserver, fake Harbor behind Prism);
## Ctrl-C stops all. BERTH_STACK_IDP=oidc-provider: the tests' npm oidc-provider instead.
demo: build
	bash $(SCRIPTS)/demo.sh

## Every test layer: unit, integration against the real parts, Playwright with JavaScript on and off.
test: build
	bash $(SCRIPTS)/test.sh

## Only the fast unit tests.
unit: setup
	bash $(SCRIPTS)/unit.sh

## The benchmarks, each figure beside its budget (wire bytes, onboarding and steady state of 1,000 teams,
## upstream overlap, Berth's own time per page at 200 users as a ratio to a calibration page, instructions
## per page under callgrind, RSS); exits non-zero when one is missed.
bench: build
	bash $(SCRIPTS)/bench.sh

## The style gates CI runs before the tests: rustfmt, leptosfmt on the view! macros, no line over 100
## columns outside them (rustfmt skips a body with one), clippy with -D warnings.
style: setup
	bash $(SCRIPTS)/style.sh

stack-down:
	bash $(SCRIPTS)/stack.sh down
