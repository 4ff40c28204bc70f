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
# gitlab-ci-local copies the project into each job's folder with rsync.
command -v rsync >/dev/null 2>&1 || need+=(rsync)

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

# npm tools, pinned, in a folder of their own (the tests find them there):
# ajv checks the library against poshil's schemas, gitlab-ci-local runs the
# GitLab CI template (4.72.0: the last release that runs on Debian's
# Node 20), action-validator checks the GitHub Actions template.
npm_prefix=/usr/local/lib/poshil-npm
npm_tools=(ajv-cli@5.0.0 ajv-formats@3.0.1 gitlab-ci-local@4.72.0 @action-validator/cli@0.6.0 @action-validator/core@0.6.0)
npm_missing=0
for bin in ajv gitlab-ci-local action-validator; do
  [ -x "$npm_prefix/node_modules/.bin/$bin" ] || npm_missing=1
done
if [ "$npm_missing" -eq 1 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "deps: npm tools missing; as root: npm install --prefix $npm_prefix ${npm_tools[*]}" >&2
  else
    echo "deps: installing ${npm_tools[*]} into $npm_prefix"
    mkdir -p "$npm_prefix"
    npm install --silent --no-audit --no-fund --prefix "$npm_prefix" "${npm_tools[@]}" >/dev/null
  fi
fi

# Event-driven emulated reader (stock vpcd stays if it cannot be built).
if [ "$(id -u)" -eq 0 ]; then
  bash "$(dirname "$0")/ifd-install.sh"
elif [ ! -f /etc/reader.conf.d/poshil-ifd ]; then
  echo "deps: poshil IFD driver not installed (needs root): sudo ci/ifd-install.sh; stock vpcd serves the bench" >&2
fi

exec "$(dirname "$0")/pcscd.sh" start
