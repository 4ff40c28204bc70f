#!/usr/bin/env bash
# isolated.sh CMD [ARGS...]: run CMD beside a private emulated bench of its
# own: private mount and network namespaces, a private pcscd whose socket
# lives in a tmpfs over /run/pcscd, and vpcd's card ports on a private
# loopback. Two isolated runs never see each other's readers, cards or
# ports, nor the host's pcscd. Needs root (unshare). Modules must already be
# downloaded: the private network has no route out. The bench's readers
# are poshil's event-driven IFD driver when installed (docs/ifd.md), else
# stock vpcd; POSHIL_IFD=stock forces stock vpcd, POSHIL_IFD_LIB names a
# driver built elsewhere (drivers/ifd/build.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${POSHIL_ISOLATED:-}" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "isolated: needs root for unshare" >&2
    exit 2
  fi
  mkdir -p /run/pcscd /run/poshil
  exec unshare --mount --net --propagation private env POSHIL_ISOLATED=1 "$0" "$@"
fi
ip link set lo up
mount -t tmpfs -o mode=0755 tmpfs /run/pcscd
# Host-wide locks and temp files are per bench too: a private lock folder and
# TMPDIR, so an isolated run never waits on another bench's locks.
mount -t tmpfs -o mode=0755 tmpfs /run/poshil
# The bench's readers: a private /etc/reader.conf.d naming poshil's
# event-driven IFD driver (drivers/ifd) when it is installed (or given as
# POSHIL_IFD_LIB), else stock vpcd; POSHIL_IFD=stock forces stock vpcd.
if [ -d /etc/reader.conf.d ]; then
  mount -t tmpfs -o mode=0755 tmpfs /etc/reader.conf.d
  ifdlib=${POSHIL_IFD_LIB:-/usr/local/lib/poshil/libifdposhil.so}
  if [ "${POSHIL_IFD:-}" != stock ] && [ -f "$ifdlib" ]; then
    "$here/readerconf.sh" "$ifdlib" > /etc/reader.conf.d/poshil-ifd
  else
    "$here/readerconf.sh" > /etc/reader.conf.d/vpcd
    if [ "${POSHIL_IFD:-}" = stock ]; then
      echo "isolated: stock vpcd (POSHIL_IFD=stock)" >&2
    else
      echo "isolated: poshil IFD driver not installed ($ifdlib): stock vpcd, card events up to 400 ms late" >&2
    fi
  fi
fi
TMPDIR=$(mktemp -d /tmp/poshil-isolated.XXXXXX)
export TMPDIR
log=$(mktemp /tmp/poshil-pcscd-isolated.XXXXXX)
POSHIL_PCSCD_LOG=$log POSHIL_PCSCD_PRIVATE=1 "$here/pcscd.sh" start >/dev/null
cleanup() {
  # Stops the pcscd named in this namespace's pid file: the one started
  # above, or the one a test restarted in its place.
  POSHIL_PCSCD_PRIVATE=1 "$here/pcscd.sh" stop >/dev/null 2>&1 || true
  rm -f "$log"
  rm -rf "$TMPDIR"
}
trap cleanup EXIT
"$@"
