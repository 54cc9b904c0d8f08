#!/bin/sh
# tools/ci.sh: the checks of the deploy/ artefacts that need the tools
# module (tools/go.mod, kept apart from the product's dependencies):
# promtool checks the alert rules and runs their unit tests, and
# deploycheck checks the dashboard's and the rules' PromQL. .ci/run calls
# it after the test suite.
#
# promtool is built with the build tag remove_all_sd, which leaves out
# Prometheus's service discovery plugins (cloud SDKs) that rule checks do
# not use: that halves its cold build. `go tool promtool` would ignore the
# tag, so it is built with go build and the binary kept, per version of
# tools/go.sum, in $ROTATORD_TOOLS_CACHE (default ~/.cache/rotatord-tools):
# later runs reuse it. `go tool -modfile=tools/go.mod promtool` gives the
# same promtool, with every plugin, for use by hand.
set -eu
cd "$(dirname "$0")/.."

cache=${ROTATORD_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rotatord-tools}
promtool=$cache/promtool-$(sha256sum tools/go.sum | cut -c1-16)
if [ ! -x "$promtool" ]; then
	mkdir -p "$cache"
	echo "tools/ci.sh: building promtool (once per tools/go.sum; minutes from a cold build cache)" >&2
	go build -modfile=tools/go.mod -tags remove_all_sd -trimpath -o "$promtool.tmp" \
		github.com/prometheus/prometheus/cmd/promtool
	mv "$promtool.tmp" "$promtool"
fi

"$promtool" check rules deploy/prometheus/rotatord-rules.yml
"$promtool" test rules deploy/prometheus/rotatord-rules.test.yml

# The dashboard's and the rules' PromQL parse and name only metrics
# rotatord exports (internal/daemon/testdata/metrics.golden).
(cd tools && go test ./deploycheck/)
