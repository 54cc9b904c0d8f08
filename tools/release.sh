#!/bin/sh
# tools/release.sh: build rotatord's .deb and .rpm into dist/ with nfpm:
# the static release binary (tools/build.sh), shell completions (rotatord
# completion) and man pages (tools/mangen, cobra's doc generator), packed
# as packaging/nfpm.yaml says. GOARCH picks the architecture (default: this
# machine's); VERSION overrides the version as in tools/build.sh.
#
#   tools/release.sh            # dist/rotatord_<version>_<arch>.deb, .rpm
#
# tools/pkgcheck.sh checks the packages.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
GOARCH=${GOARCH:-$(go env GOARCH)}
export GOARCH

rm -rf dist
mkdir -p dist/bin dist/completions dist/man
tools/build.sh dist/bin/rotatord
# Completions and man pages come from a binary this machine runs.
host=dist/bin/rotatord
if [ "$GOARCH" != "$(GOARCH='' go env GOARCH)" ]; then
	host=dist/host/rotatord
	mkdir -p dist/host
	GOARCH='' tools/build.sh "$host"
fi

VERSION=$("$host" version -o json | sed -n 's/^  "version": "\(.*\)",$/\1/p')
date=$("$host" version -o json | sed -n 's/^  "date": "\(.*\)",$/\1/p')
export VERSION

for sh in bash zsh fish; do
	"$host" completion "$sh" >"dist/completions/rotatord.$sh"
done
"$host" __commands | (cd tools && go run ./mangen -dir "$root/dist/man" -version "$VERSION" -date "$date")
# gzip -n: no name or time stamp in the header, for reproducible packages.
gzip -n -9 dist/man/*.1

SOURCE_DATE_EPOCH=$(date -d "$date" +%s)
export SOURCE_DATE_EPOCH
for p in deb rpm; do
	go tool -modfile=tools/go.mod nfpm package -f packaging/nfpm.yaml -p "$p" -t dist/
done
ls -l dist/*.deb dist/*.rpm
