#!/bin/sh
# rotatord package: after unpacking, on install and on upgrade (.deb
# postinst, .rpm %post). Creates the rotatord user and group and
# /etc/rotatord (root:rotatord 0750), hands the new configuration to
# rotatord, and starts the service only once a protection key exists;
# an upgrade restarts a running service.
#
# DPKG_ROOT (dpkg --root with --force-script-chrootless) installs into
# another root: only files under it are touched, and no service is
# started.
set -e

root=${DPKG_ROOT:-}
upgrade=
case ${1:-} in
configure) [ -z "${2:-}" ] || upgrade=yes ;; # deb: configure [OLD-VERSION]
abort-*) exit 0 ;;
[0-9]*) [ "$1" -lt 2 ] || upgrade=yes ;; # rpm: instances after this one
esac

# The user and group (sysusers.d/rotatord.conf), then /etc/rotatord
# (tmpfiles.d/rotatord.conf).
if command -v systemd-sysusers >/dev/null 2>&1; then
	systemd-sysusers ${root:+--root="$root"} rotatord.conf
elif ! getent passwd rotatord >/dev/null; then
	useradd ${root:+--root "$root"} --system --user-group --home-dir /var/lib/rotatord \
		--no-create-home --shell /usr/sbin/nologin --comment "rotatord key rotation" rotatord
fi
if command -v systemd-tmpfiles >/dev/null 2>&1; then
	systemd-tmpfiles ${root:+--root="$root"} --create rotatord.conf
else
	chgrp "$(awk -F: '$1 == "rotatord" { print $3 }' "$root/etc/group")" "$root/etc/rotatord"
	chmod 0750 "$root/etc/rotatord"
fi
# rotatord's uid:gid, from the (target root's) passwd file: a name would be
# looked up on this host.
owner=$(awk -F: '$1 == "rotatord" { print $3 ":" $4 }' "$root/etc/passwd")
if [ -z "$owner" ]; then
	echo "rotatord: no user rotatord in $root/etc/passwd after creating it" >&2
	exit 1
fi
install -d -m 0700 "$root/var/lib/rotatord"
chown "$owner" "$root/var/lib/rotatord"

# A first install: the service reads the example configuration (mode
# 0600). Later, the file is the operator's; upgrades keep it as it is.
if [ -z "$upgrade" ]; then
	chown "$owner" "$root/etc/rotatord/rotatord.yaml"
fi

[ -z "$root" ] && [ -d /run/systemd/system ] || exit 0
systemctl daemon-reload
systemctl enable rotatord.service >/dev/null 2>&1 || :
if [ -n "$upgrade" ]; then
	systemctl try-restart rotatord.service
elif [ -s /etc/rotatord/protection.key ]; then
	systemctl start rotatord.service
else
	echo "rotatord: not started: no protection key yet. Make one, edit /etc/rotatord/rotatord.yaml, then start it:" >&2
	echo "  rotatord keygen -o /etc/rotatord/protection.key && chown rotatord:rotatord /etc/rotatord/protection.key" >&2
	echo "  rotatord validate && systemctl start rotatord" >&2
fi
