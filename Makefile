# The two commands that matter: `make demo` and `make test`. Both set up a fresh machine first.
SCRIPTS := end2end/scripts
.PHONY: setup build demo test unit stack-down bench-reconcile

setup:
	bash $(SCRIPTS)/setup.sh

build: setup
	bash $(SCRIPTS)/build.sh

## Berth plus the local stack (OIDC provider, kube-apiserver, fake Harbor behind Prism); Ctrl-C stops all.
demo: build
	bash $(SCRIPTS)/demo.sh

## Every test layer: unit, integration against the real parts, Playwright with JavaScript on and off.
test: build
	bash $(SCRIPTS)/test.sh

## Only the fast unit tests.
unit: setup
	bash $(SCRIPTS)/unit.sh

## Onboards 1,000 teams against the fake Harbor (5 ms per request); prints the time and one steady-state pass.
bench-reconcile: build
	bash $(SCRIPTS)/bench-reconcile.sh

stack-down:
	bash $(SCRIPTS)/stack.sh down
