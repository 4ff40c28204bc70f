#!/usr/bin/env bash
# build.sh [OUT]: build the poshil IFD handler (libifdposhil.so) for the
# stock pcscd against libpcsclite-dev. OUT defaults to
# drivers/ifd/build/libifdposhil.so (ignored by git).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/build/libifdposhil.so}
mkdir -p "$(dirname "$out")"
cflags=$(pkg-config --cflags libpcsclite 2>/dev/null || echo "-I/usr/include/PCSC -pthread")
# -Wl,-z,defs is left out: log_msg comes from pcscd, which loads the driver.
gcc -std=gnu11 -O2 -g -fPIC -shared -Wall -Wextra -Werror -fvisibility=default \
  $cflags -o "$out.tmp" "$here/csrc/ifdposhil.c" -pthread
mv -f "$out.tmp" "$out"
echo "$out"
