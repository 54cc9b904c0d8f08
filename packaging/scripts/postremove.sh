#!/bin/sh
# rotatord package: after removal (.deb postrm, .rpm %postun): systemd
# forgets the removed unit. The user, the configuration and the state stay
# (the state file holds the only copy of each current key); remove them by
# hand once the keys are no longer needed.
set -e

[ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ] || exit 0
systemctl daemon-reload || :
