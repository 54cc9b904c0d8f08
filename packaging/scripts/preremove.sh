#!/bin/sh
# rotatord package: before removal (.deb prerm, .rpm %preun). A removal
# stops and disables the service; an upgrade leaves it running for
# postinstall.sh to restart. Nothing in /etc/rotatord or /var/lib/rotatord
# is removed: the state file holds the only copy of each current key.
set -e

remove=
case ${1:-} in
remove | deconfigure) remove=yes ;; # deb
0) remove=yes ;;                    # rpm: no instance left
esac

[ -n "$remove" ] && [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ] || exit 0
systemctl disable --now rotatord.service >/dev/null 2>&1 || :
