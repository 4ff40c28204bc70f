#!/usr/bin/env bash
# test.sh: every test under the race detector, as `make test` runs it.
#
# As root, the tests run on private emulated benches (isolated.sh: own
# pcscd, vpcd ports, lock folder and TMPDIR each), three at once: the
# packages, the scenario library and its mutant table. They share nothing,
# so they cannot disturb one another nor anything else on the host, and the
# suite takes the time of its longest part. As a user, everything runs one
# package at a time against the host's pcscd.
set -uo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
flags=(-race -count=1)

# Private benches need root and namespaces the machine allows; without
# them, one package at a time on the host's pcscd.
if [ "$(id -u)" -ne 0 ] || ! unshare --mount --net --propagation private true 2>/dev/null; then
  echo "test: no private benches here (needs root and unshare); one package at a time on the host's pcscd"
  exec "$GO" test "${flags[@]}" -p 1 ./...
fi

# Compile every test binary first, both cores at once; the runs below then
# only link. Inside isolated.sh there is no network, so this also fetches
# any module a test needs.
"$GO" test "${flags[@]}" -run '^$' ./... >/dev/null || exit 1
# The Debian package test (cmd/poshil) packs with nfpm, pinned in
# ci/tools/go.mod: fetch and build it here, where the network is.
"$GO" -C ci/tools tool nfpm --version >/dev/null || exit 1

logs=$(mktemp -d /tmp/poshil-test.XXXXXX)
trap 'rm -rf "$logs"' EXIT
# TestGinkgoParallel (harness/isolated) runs the Ginkgo CLI: build it here,
# where the network is.
"$GO" build -o "$logs/ginkgo" github.com/onsi/ginkgo/v2/ginkgo || exit 1
export POSHIL_GINKGO="$logs/ginkgo"
pkgs=$("$GO" list ./... | grep -v '/scenarios$')
declare -A job
start=$SECONDS
# shellcheck disable=SC2086
ci/isolated.sh "$GO" test "${flags[@]}" -p 1 $pkgs >"$logs/packages" 2>&1 &
job[packages]=$!
ci/isolated.sh "$GO" test "${flags[@]}" ./scenarios/ -ginkgo.label-filter='!mutant' >"$logs/library" 2>&1 &
job[library]=$!
ci/isolated.sh "$GO" test "${flags[@]}" ./scenarios/ -ginkgo.label-filter='mutant' >"$logs/mutants" 2>&1 &
job[mutants]=$!

rc=0
for name in packages library mutants; do
  if wait "${job[$name]}"; then
    status=ok
  else
    status=FAILED
    rc=1
  fi
  echo "== $name: $status ($((SECONDS - start)) s since start)"
  cat "$logs/$name"
done
exit $rc
