#!/usr/bin/env bash
# ifd-install.sh: build poshil's event-driven IFD driver (drivers/ifd),
# install it and point pcscd at it: "Virtual PCD 00 00".."00 03" on card
# ports 35963.. are served by our driver, and Debian's vpcd moves to
# "Stock vpcd" on 35973.. (for comparison). Debian's own vpcd reader.conf
# is moved aside with dpkg-divert, so two drivers never claim one port.
# POSHIL_IFD=stock undoes it all (stock vpcd on 35963 as Debian ships it).
#
# Restarts pcscd (through ci/pcscd.sh) only when the library or the
# configuration changed. If the driver cannot be built, it says so and
# leaves stock vpcd in place. Idempotent. Needs root.
#
# POSHIL_IFD_PREFIX (default /usr/local/lib/poshil) and
# POSHIL_READER_CONF_DIR (default /etc/reader.conf.d) move it elsewhere.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prefix=${POSHIL_IFD_PREFIX:-/usr/local/lib/poshil}
confdir=${POSHIL_READER_CONF_DIR:-/etc/reader.conf.d}
lib=$prefix/libifdposhil.so
conf=$confdir/poshil-ifd
debconf=$confdir/vpcd
diverted=$prefix/vpcd.reader.conf.debian
changed=0

if [ "$(id -u)" -ne 0 ]; then
  echo "deps: installing poshil's IFD driver needs root: sudo $0" >&2
  exit 1
fi

diverted_now() { [ "$(dpkg-divert --truename "$debconf")" = "$diverted" ]; }

if [ "${POSHIL_IFD:-}" = stock ]; then
  if [ -f "$conf" ]; then rm -f "$conf"; changed=1; fi
  if diverted_now; then
    dpkg-divert --quiet --local --rename --divert "$diverted" --remove "$debconf"
    changed=1
  fi
  echo "deps: stock vpcd serves the emulated bench (POSHIL_IFD=stock)"
else
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  if ! "$here/../drivers/ifd/build.sh" "$tmp/libifdposhil.so" >/dev/null 2>"$tmp/build.log"; then
    echo "deps: poshil IFD driver not built (stock vpcd stays, card events up to 400 ms late):" >&2
    cat "$tmp/build.log" >&2
    exit 0
  fi
  mkdir -p "$prefix"
  if ! cmp -s "$tmp/libifdposhil.so" "$lib"; then
    install -m 0644 "$tmp/libifdposhil.so" "$lib.new" && mv -f "$lib.new" "$lib"
    changed=1
  fi
  "$here/readerconf.sh" "$lib" > "$tmp/conf"
  if ! cmp -s "$tmp/conf" "$conf"; then
    install -m 0644 "$tmp/conf" "$conf"
    changed=1
  fi
  if ! diverted_now; then
    dpkg-divert --quiet --local --rename --divert "$diverted" --add "$debconf"
    changed=1
  fi
  echo "deps: poshil IFD driver $lib serves \"Virtual PCD\" (35963..35966); stock vpcd is \"Stock vpcd\" (35973..35974)"
fi

if [ "$changed" = 1 ] && [ -S /run/pcscd/pcscd.comm ] && "$here/pcscd.sh" status >/dev/null 2>&1; then
  echo "deps: reader configuration changed: restarting pcscd"
  "$here/pcscd.sh" stop
fi
