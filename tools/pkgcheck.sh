#!/bin/sh
# tools/pkgcheck.sh: check the packages tools/release.sh left in dist/.
# Needs dpkg, rpm, shellcheck and systemd-analyze (Debian packages), and
# root for dpkg --root and chroot; it never installs on this host: every
# install goes into a scratch root under a temporary directory.
#
#  1. dpkg-deb --info/--contents and rpm -qlvp list every file with its
#     owner and mode; the .deb's maintainer scripts pass shellcheck.
#  2. The unit inside passes systemd-analyze verify, and its exposure
#     level stays at 1.1.
#  3. dpkg --root installs the .deb into a scratch root, its scripts run
#     there (DPKG_ROOT): the rotatord user exists, /etc/rotatord is
#     root:rotatord 0750, the config rotatord's and 0600; rotatord
#     validate refuses it until a protection key is made, then accepts it.
#  4. An upgrade to the same package with a later version keeps an edited
#     configuration.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
deb=$(ls dist/*.deb)
rpmf=$(ls dist/*.rpm)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "pkgcheck: $*" >&2
	exit 1
}

echo "== dpkg-deb --info $deb"
dpkg-deb --info "$deb"
echo "== dpkg-deb --contents $deb"
dpkg-deb --contents "$deb" | tee "$tmp/deb.list"
echo "== rpm -qlvp $rpmf"
rpm -qlvp "$rpmf" | tee "$tmp/rpm.list"
rpm -qp --scripts "$rpmf" >/dev/null

# mode owner/group path, as dpkg-deb --contents prints them.
for want in \
	"-rwxr-xr-x root/root ./usr/bin/rotatord" \
	"-rw-r--r-- root/root ./usr/lib/systemd/system/rotatord.service" \
	"-rw-r--r-- root/root ./usr/lib/sysusers.d/rotatord.conf" \
	"-rw-r--r-- root/root ./usr/lib/tmpfiles.d/rotatord.conf" \
	"drwxr-x--- root/root ./etc/rotatord/" \
	"-rw------- root/root ./etc/rotatord/rotatord.yaml" \
	"-rw-r--r-- root/root ./usr/share/bash-completion/completions/rotatord" \
	"-rw-r--r-- root/root ./usr/share/zsh/vendor-completions/_rotatord" \
	"-rw-r--r-- root/root ./usr/share/fish/vendor_completions.d/rotatord.fish" \
	"-rw-r--r-- root/root ./usr/share/man/man1/rotatord.1.gz" \
	"-rw-r--r-- root/root ./usr/share/man/man1/rotatord-run.1.gz"; do
	# shellcheck disable=SC2086 # split into fields on purpose
	set -- $want
	awk -v m="$1" -v o="$2" -v p="$3" '$1 == m && $2 == o && $NF == p { found = 1 } END { exit !found }' "$tmp/deb.list" ||
		fail "the .deb lacks $want"
done
for want in \
	"-rwxr-xr-x root root /usr/bin/rotatord" \
	"-rw------- root root /etc/rotatord/rotatord.yaml" \
	"-rw-r--r-- root root /usr/lib/systemd/system/rotatord.service" \
	"-rw-r--r-- root root /usr/share/zsh/site-functions/_rotatord"; do
	# shellcheck disable=SC2086 # split into fields on purpose
	set -- $want
	awk -v m="$1" -v o="$2" -v g="$3" -v p="$4" '$1 == m && $3 == o && $4 == g && $NF == p { found = 1 } END { exit !found }' "$tmp/rpm.list" ||
		fail "the .rpm lacks $want"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -tf - | grep -q '^\./conffiles$' || fail "the .deb has no conffiles"
dpkg-deb -e "$deb" "$tmp/control"
grep -qx /etc/rotatord/rotatord.yaml "$tmp/control/conffiles" || fail "rotatord.yaml is not a conffile"
echo "== shellcheck of the .deb's maintainer scripts"
shellcheck "$tmp/control/postinst" "$tmp/control/prerm" "$tmp/control/postrm"

echo "== systemd-analyze verify and security of the unit inside"
dpkg-deb -x "$deb" "$tmp/x"
sed "s#^ExecStart=/usr/bin/rotatord #ExecStart=$tmp/x/usr/bin/rotatord #" \
	"$tmp/x/usr/lib/systemd/system/rotatord.service" >"$tmp/rotatord-pkgcheck.service"
systemd-analyze verify --no-pager --man=no "$tmp/rotatord-pkgcheck.service"
systemd-analyze security --no-pager --offline=true --threshold=11 --root="$tmp/x" rotatord.service |
	tee "$tmp/security" | tail -1
grep -q 'Overall exposure level for rotatord.service: 1.1 OK' "$tmp/security" || fail "exposure level is not 1.1"

echo "== install into a scratch root"
r=$tmp/root
mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates" "$r/etc"
touch "$r/var/lib/dpkg/status" "$r/var/lib/dpkg/available"
echo "root:x:0:0:root:/root:/bin/sh" >"$r/etc/passwd"
echo "root:x:0:" >"$r/etc/group"
dpkg --root="$r" --force-script-chrootless --log=/dev/null -i "$deb"
owner=$(awk -F: '$1 == "rotatord" { print $3 ":" $4 }' "$r/etc/passwd")
[ -n "$owner" ] || fail "postinst made no rotatord user"
[ "$(stat -c '%a %u:%g' "$r/etc/rotatord")" = "750 0:${owner#*:}" ] ||
	fail "/etc/rotatord is $(stat -c '%a %u:%g' "$r/etc/rotatord"), want 750 0:${owner#*:}"
[ "$(stat -c '%a %u:%g' "$r/etc/rotatord/rotatord.yaml")" = "600 $owner" ] ||
	fail "rotatord.yaml is $(stat -c '%a %u:%g' "$r/etc/rotatord/rotatord.yaml"), want 600 $owner"
[ "$(stat -c '%a %u:%g' "$r/var/lib/rotatord")" = "700 $owner" ] || fail "/var/lib/rotatord is not rotatord's, 0700"

# rotatord is static: it runs in the scratch root as its own user.
if chroot --userspec="$owner" "$r" /usr/bin/rotatord validate >"$tmp/out" 2>&1; then
	fail "validate accepted the configuration without a protection key"
fi
grep -q 'rotatord keygen' "$tmp/out" || fail "validate did not say to make a key: $(cat "$tmp/out")"
chroot --userspec="$owner" "$r" /usr/bin/rotatord keygen -o /etc/rotatord/protection.key 2>/dev/null ||
	chroot "$r" /usr/bin/rotatord keygen -o /etc/rotatord/protection.key
chown "$owner" "$r/etc/rotatord/protection.key"
chroot --userspec="$owner" "$r" /usr/bin/rotatord validate
chroot "$r" /usr/bin/rotatord version

echo "== upgrade keeps an edited configuration"
echo "# edited by pkgcheck" >>"$r/etc/rotatord/rotatord.yaml"
mkdir -p "$tmp/v2"
ver=$(dpkg-deb -f "$deb" Version)
VERSION=99.0.0 SOURCE_DATE_EPOCH=0 GOARCH=$(dpkg-deb -f "$deb" Architecture) \
	go tool -modfile=tools/go.mod nfpm package -f packaging/nfpm.yaml -p deb -t "$tmp/v2/" >/dev/null
dpkg --root="$r" --force-script-chrootless --force-confold --log=/dev/null -i "$tmp"/v2/*.deb
grep -q '^# edited by pkgcheck$' "$r/etc/rotatord/rotatord.yaml" || fail "the upgrade from $ver replaced the edited configuration"
[ "$(stat -c '%a %u:%g' "$r/etc/rotatord/rotatord.yaml")" = "600 $owner" ] || fail "the upgrade changed the configuration's owner or mode"
chroot --userspec="$owner" "$r" /usr/bin/rotatord validate
echo "pkgcheck: ok"
