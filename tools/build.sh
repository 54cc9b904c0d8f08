#!/bin/sh
# tools/build.sh [OUT]: build the release rotatord binary (default ./rotatord)
# from the checkout this script is in: static (CGO_ENABLED=0), reproducible
# (-trimpath, an empty build id, no VCS stamp, the build date taken from the
# commit rather than the clock), its version, commit and date linked in with
# -ldflags -X main.…, which `rotatord version` prints.
#
# VERSION overrides the version (default: git describe of a v* tag, else a
# Go pseudo-version of HEAD). GOOS and GOARCH cross-build as usual.
# Two runs on one commit, with the same Go version, give the same bytes
# (tools/repro.sh checks it).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-rotatord}
case $out in /*) ;; *) out=$PWD/$out ;; esac
cd "$root"

commit=$(git rev-parse HEAD)
dirty=
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
	dirty=+dirty
fi
date=$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ)
if [ -z "${VERSION:-}" ]; then
	if ! VERSION=$(git describe --tags --match 'v[0-9]*' 2>/dev/null); then
		VERSION=v0.0.0-$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y%m%d%H%M%S)-$(git rev-parse --short=12 HEAD)
	fi
	VERSION=$VERSION$dirty
fi

# -buildvcs=false: the commit is linked in below, and a stamp would make a
# build in a git worktree (which Go does not stamp) differ from one in a
# clone.
CGO_ENABLED=0 go build -trimpath -buildvcs=false \
	-ldflags "-buildid= -X main.version=$VERSION -X main.commit=$commit$dirty -X main.date=$date" \
	-o "$out" ./cmd/rotatord
echo "built $out: rotatord $VERSION (commit $commit$dirty, $date)" >&2
