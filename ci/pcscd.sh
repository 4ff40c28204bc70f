#!/usr/bin/env bash
# pcscd.sh start|stop|status: run pcscd in the foreground in the background,
# reuse one that already runs, and wait until vpcd's card ports listen.
#
# POSHIL_PCSCD_PRIVATE (or POSHIL_ISOLATED, set by isolated.sh) marks a
# private namespace: processes are still visible machine-wide by pid, so
# there start never reuses, and stop never kills, a pcscd that is not the
# one named in this namespace's pid file.
set -euo pipefail
sock=/run/pcscd/pcscd.comm
pidfile=/run/pcscd/poshil-pcscd.pid
private=${POSHIL_PCSCD_PRIVATE:-${POSHIL_ISOLATED:-}}
log=${POSHIL_PCSCD_LOG:-/tmp/poshil-pcscd.log}

# ours: the pcscd processes of this mount namespace. Pids are visible
# across namespaces, so pgrep alone also finds other benches' private
# pcscds (isolated.sh), which are not ours to reuse or stop. A process
# whose namespace cannot be read (another user's, as non-root) counts as
# ours: there is no telling.
ours() {
  local me ns p
  me=$(readlink /proc/self/ns/mnt)
  for p in $(pgrep -x pcscd || true); do
    ns=$(readlink "/proc/$p/ns/mnt" 2>/dev/null || echo unknown)
    if [ "$ns" = "$me" ] || [ "$ns" = unknown ]; then echo "$p"; fi
  done
}

# Never connect to 35963 to test it: a connection there is a card insertion.
listening() { ss -ltn 2>/dev/null | grep -q ':35963 '; }

case "${1:-start}" in
start)
  # POSHIL_PCSCD_PRIVATE: a private namespace (isolated.sh) where the
  # host's pcscd, visible by pid, is not ours to reuse.
  running=$(ours | head -1)
  if [ -z "$private" ] && [ -n "$running" ] && [ -S "$sock" ]; then
    echo "deps: pcscd already running (pid $running)"
  else
    if [ "$(id -u)" -ne 0 ]; then
      echo "deps: pcscd is not running; start it as root: sudo $0 start" >&2
      exit 1
    fi
    mkdir -p /run/pcscd
    setsid pcscd --foreground >"$log" 2>&1 < /dev/null &
    echo $! > "$pidfile"
    echo "deps: started pcscd (pid $!, log $log)"
  fi
  for _ in $(seq 1 100); do
    if [ -S "$sock" ] && listening; then exit 0; fi
    sleep 0.1
  done
  echo "deps: pcscd did not come up: no socket $sock or vpcd port 35963 (log: $log)" >&2
  exit 1
  ;;
stop)
  if [ -n "$private" ]; then
    pid=$(cat "$pidfile" 2>/dev/null || true)
    if [ -z "$pid" ]; then echo "pcscd: no private pcscd to stop" >&2; exit 0; fi
    kill "$pid" 2>/dev/null || true
    # Wait until it is gone, so a start right after finds the slot free.
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    rm -f "$pidfile"
  else
    pids=$(ours)
    [ -n "$pids" ] || exit 0
    # shellcheck disable=SC2086
    kill $pids 2>/dev/null || true
    for _ in $(seq 1 50); do
      alive=0
      for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
      [ "$alive" = 0 ] && break
      sleep 0.1
    done
    rm -f "$pidfile"
  fi
  ;;
status)
  pids=$(ours)
  [ -n "$pids" ] || { echo "pcscd not running"; exit 1; }
  # shellcheck disable=SC2086
  ps -o pid=,args= -p $(echo $pids | tr ' ' ,)
  ;;
*)
  echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
