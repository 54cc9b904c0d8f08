#!/bin/sh
# tools/ci.sh: the checks of the deploy/ artefacts that need the tools
# module (tools/go.mod, kept apart from the product's dependencies):
# promtool checks the alert rules and runs their unit tests. .ci/run calls
# it after the test suite.
#
# promtool is built once through `go tool` and cached by the go command;
# the build tag remove_all_sd leaves out Prometheus's service discovery
# plugins (cloud SDKs), which the rule checks do not use, to make that
# build cheaper.
set -eu
cd "$(dirname "$0")/.."
GOFLAGS="${GOFLAGS:+$GOFLAGS }-tags=remove_all_sd"
export GOFLAGS

promtool() {
	go tool -modfile=tools/go.mod promtool "$@"
}

promtool check rules deploy/prometheus/rotatord-rules.yml
promtool test rules deploy/prometheus/rotatord-rules.test.yml

# The dashboard's and the rules' PromQL parse and name only metrics
# rotatord exports (internal/daemon/testdata/metrics.golden).
(cd tools && go test ./deploycheck/)
