#!/bin/sh
# tools/repro.sh: check that release builds are reproducible. It clones HEAD
# twice, to two different paths, builds each with tools/build.sh (the
# second with an empty Go build cache, so nothing is reused from the
# first) and compares the two binaries byte for byte. Slow (a cold build);
# run it by hand or in a release job, not in the test suite.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
head=$(git -C "$root" rev-parse HEAD)
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT

for d in a bb; do
	git clone -q --shared --no-checkout "$root" "$tmp/$d"
	git -C "$tmp/$d" checkout -q --detach "$head"
done
"$tmp/a/tools/build.sh" "$tmp/rotatord-a"
GOCACHE=$tmp/cache "$tmp/bb/tools/build.sh" "$tmp/rotatord-b"

a=$(sha256sum <"$tmp/rotatord-a")
b=$(sha256sum <"$tmp/rotatord-b")
if [ "$a" != "$b" ]; then
	echo "repro: two builds of $head differ: ${a%% *} and ${b%% *}" >&2
	exit 1
fi
"$tmp/rotatord-a" --version
echo "repro: two builds of $head (different paths, one with a cold cache) are identical: sha256 ${a%% *}"
