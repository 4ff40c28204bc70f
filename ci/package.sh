#!/usr/bin/env bash
# package.sh [DIST]: build poshil's Debian package, DIST/poshil_VERSION_ARCH.deb
# (DIST defaults to dist/), with nfpm pinned in ci/tools/go.mod, and print
# its path. The package holds /usr/bin/poshil (the reference terminal runs
# inside it as `poshil refterm`), the event-driven IFD driver
# (drivers/ifd, not enabled: docs/first-lab.md), the scenario library in
# /usr/share/poshil/scenarios, shell completions and the docs, and depends on what `poshil run` needs on the embedded bench:
# pcscd and vsmartcard-vpcd, and the libraries the binary links
# (libpcsclite1 and libc6, their versions read from the binary).
#
# POSHIL_VERSION overrides the version (default: the tag v* at HEAD
# without its v, else 0.0~gitYYYYMMDDhhmmss.REV of the last commit).
# Needs go, gcc and libpcsclite-dev (make deps).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dist=$(mkdir -p "${1:-$root/dist}" && cd "${1:-$root/dist}" && pwd)
GO=${GO:-go}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

if [ -z "${POSHIL_VERSION:-}" ]; then
  if tag=$(git -C "$root" describe --tags --exact-match --match 'v[0-9]*' 2>/dev/null); then
    POSHIL_VERSION=${tag#v}
  else
    POSHIL_VERSION=0.0~git$(TZ=UTC git -C "$root" log -1 --date=format-local:%Y%m%d%H%M%S --format=%cd).$(git -C "$root" rev-parse --short=12 HEAD)
  fi
fi
POSHIL_ARCH=$("$GO" env GOARCH)

# The binary as `make build` builds it (the build cache serves both), with
# its VCS revision for --version, stripped as Debian ships binaries.
(cd "$root" && CGO_ENABLED=1 "$GO" build -buildvcs=auto -ldflags='-s -w' -o "$stage/poshil" ./cmd/poshil)
"$root/drivers/ifd/build.sh" "$stage/libifdposhil.so" >/dev/null

mkdir -p "$stage/completion" "$stage/doc/docs" "$stage/doc/examples"
"$stage/poshil" completion bash > "$stage/completion/poshil.bash"
"$stage/poshil" completion zsh > "$stage/completion/_poshil"
"$stage/poshil" completion fish > "$stage/completion/poshil.fish"
# The scenario library (its files, not its Go suite) and its schema.
(cd "$root" && find scenarios -name '*.yaml' -o -name '*.schema.json') | while read -r f; do
  install -D -m 0644 "$root/$f" "$stage/share/$f"
done
cp "$root/README.md" "$stage/doc/"
cp "$root"/docs/*.md "$stage/doc/docs/"
# The reader configuration that enables the packaged IFD driver.
"$root/ci/readerconf.sh" /usr/lib/pcsc/drivers/serial/libifdposhil.so > "$stage/doc/examples/poshil-ifd.reader.conf"

# Dependencies' lowest versions: the newest symbol version the binary
# needs from glibc; pcsc-lite's client ABI is stable since 1.8.
glibc=$(objdump -T "$stage/poshil" "$stage/libifdposhil.so" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
objdump -p "$stage/poshil" | grep -q 'NEEDED *libpcsclite\.so\.1' || {
  echo "package: poshil does not link libpcsclite.so.1 (built without cgo?)" >&2
  exit 1
}

POSHIL_STAGE=$stage POSHIL_VERSION=$POSHIL_VERSION POSHIL_ARCH=$POSHIL_ARCH \
  POSHIL_GLIBC=$glibc POSHIL_PCSCLITE=1.8 \
  "$GO" -C "$root/ci/tools" tool nfpm package --config "$root/ci/nfpm.yaml" \
  --packager deb --target "$dist/" >&2
deb=$dist/poshil_${POSHIL_VERSION}_$(dpkg --print-architecture 2>/dev/null || echo "$POSHIL_ARCH").deb
[ -f "$deb" ] || { echo "package: nfpm wrote no $deb:" >&2; ls "$dist" >&2; exit 1; }
echo "$deb"
