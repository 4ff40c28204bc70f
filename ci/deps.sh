#!/usr/bin/env bash
# deps.sh: install and start the real parts the emulated bench needs
# (pcscd, vpcd, opensc, pcsc-tools, ser2net). Idempotent: installs only what
# is missing, reuses a pcscd that already runs.
set -euo pipefail

need=()
command -v pcscd >/dev/null 2>&1 || need+=(pcscd)
[ -f /usr/include/PCSC/winscard.h ] || need+=(libpcsclite-dev)
[ -f /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] || need+=(vsmartcard-vpcd)
command -v opensc-tool >/dev/null 2>&1 || need+=(opensc)
command -v pcsc_scan >/dev/null 2>&1 || need+=(pcsc-tools)
command -v ser2net >/dev/null 2>&1 || need+=(ser2net)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
# poshil's event-driven IFD driver (drivers/ifd) is built from C.
command -v gcc >/dev/null 2>&1 || need+=(gcc)
[ -f /usr/include/stdio.h ] || need+=(libc6-dev)
command -v ss >/dev/null 2>&1 || need+=(iproute2)
# Evidence and report checks: tshark reads the pcapng traces, headless
# Chromium opens the HTML report.
command -v tshark >/dev/null 2>&1 || need+=(tshark)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# An independent JSON Schema validator (ajv, from npm) checks the library
# against poshil's schemas.
command -v npm >/dev/null 2>&1 || need+=(npm)
# xmllint checks junit.xml against the JUnit schema CI tools use.
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
# libfaketime: the clock fault gives a dynamically linked DUT a wrong clock.
compgen -G '/usr/lib/*/faketime/libfaketime.so.1' >/dev/null || need+=(faketime)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing packages: ${need[*]}" >&2
    echo "deps: run as root, or: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  echo "deps: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture: no.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# ajv-cli, pinned, in a folder of its own (harness/schema's tests find it).
npm_prefix=/usr/local/lib/poshil-npm
if [ ! -x "$npm_prefix/node_modules/.bin/ajv" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "deps: ajv missing; as root: npm install --prefix $npm_prefix ajv-cli@5.0.0 ajv-formats@3.0.1" >&2
  else
    echo "deps: installing ajv-cli into $npm_prefix"
    mkdir -p "$npm_prefix"
    npm install --silent --no-audit --no-fund --prefix "$npm_prefix" ajv-cli@5.0.0 ajv-formats@3.0.1 >/dev/null
  fi
fi

# Event-driven emulated reader (stock vpcd stays if it cannot be built).
if [ "$(id -u)" -eq 0 ]; then
  bash "$(dirname "$0")/ifd-install.sh"
elif [ ! -f /etc/reader.conf.d/poshil-ifd ]; then
  echo "deps: poshil IFD driver not installed (needs root): sudo ci/ifd-install.sh; stock vpcd serves the bench" >&2
fi

exec "$(dirname "$0")/pcscd.sh" start
