# Shared by every examples/patterns/<name>/run script (sourced, not run).
#
# A run script starts a whole deployment pattern on this machine, prints what to try and
# waits; Ctrl-C or SIGTERM stops everything it started (by PID) and removes the network
# namespaces it created. Conventions the tests (tests/patterns/) rely on:
#   POSTERN   the postern binary        (default: build/postern of this tree)
#   WORK      a folder for the run      (default: a new temporary folder, removed at exit)
#   $WORK/endpoints.env   KEY=VALUE lines written by `pattern_ready` (URLs, ports, files)
#   "pattern <name>: ready" on stdout once everything answers
set -euo pipefail

PATTERNS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$PATTERNS_DIR/../.." && pwd)
POSTERN=${POSTERN:-$REPO_DIR/build/postern}
if [ -z "${WORK:-}" ]; then
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/postern-pattern-XXXXXX")
  REMOVE_WORK=1
else
  mkdir -p "$WORK"
  REMOVE_WORK=0
fi
[ -x "$POSTERN" ] || { echo "no postern binary at $POSTERN (build it, or set POSTERN)" >&2; exit 1; }

_pids=()
_netns=()
_cleanup_done=0

# Stops everything this script started, newest first, then removes its namespaces.
pattern_cleanup() {
  [ "$_cleanup_done" = 1 ] && return
  _cleanup_done=1
  local i
  for ((i = ${#_pids[@]} - 1; i >= 0; i--)); do kill -TERM "${_pids[i]}" 2>/dev/null || true; done
  for ((i = ${#_pids[@]} - 1; i >= 0; i--)); do
    for _ in $(seq 100); do kill -0 "${_pids[i]}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${_pids[i]}" 2>/dev/null || true
  done
  # make_netns usually runs in $(...), a subshell whose _netns is lost: its names are also
  # in $WORK/.netns.
  local recorded=()
  [ -f "$WORK/.netns" ] && mapfile -t recorded <"$WORK/.netns"
  for ns in "${_netns[@]}" "${recorded[@]}"; do ip netns delete "$ns" 2>/dev/null || true; done
  [ "$REMOVE_WORK" = 1 ] && rm -rf "$WORK"
  return 0
}
trap 'pattern_cleanup; exit 0' INT TERM
trap pattern_cleanup EXIT

# start NAME CMD...: runs CMD in the background with its output in $WORK/NAME.log.
start() {
  local name=$1
  shift
  "$@" >"$WORK/$name.log" 2>&1 &
  _pids+=("$!")
  echo "$!" >"$WORK/$name.pid"
}

# start_in NS NAME CMD...: the same inside network namespace NS.
start_in() {
  local ns=$1 name=$2
  shift 2
  start "$name" ip netns exec "$ns" "$@"
}

# make_netns NAME: a namespace with loopback up, removed at exit. The name gets a suffix
# unique to this run ($NS_SUFFIX) so runs and tests never collide.
NS_SUFFIX=${NS_SUFFIX:-$$}
make_netns() {
  local ns="$1-$NS_SUFFIX"
  ip netns add "$ns"
  _netns+=("$ns")
  echo "$ns" >>"$WORK/.netns"
  ip -n "$ns" link set lo up
  echo "$ns"
}

# free_port: an unused loopback TCP port.
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_http URL [NS]: until URL answers with any HTTP status (30 s at most).
wait_http() {
  local url=$1 ns=${2:-} i
  for i in $(seq 300); do
    if [ -n "$ns" ]; then
      ip netns exec "$ns" curl -sk -o /dev/null "$url" && return 0
    else
      curl -sk -o /dev/null "$url" && return 0
    fi
    sleep 0.1
  done
  echo "no answer from $url after 30 s; logs in $WORK" >&2
  return 1
}

# wait_ready ADMIN_URL [NS]: until a gateway's /ready says 200.
wait_ready() {
  local url=$1/ready ns=${2:-} i
  for i in $(seq 300); do
    if [ -n "$ns" ]; then
      [ "$(ip netns exec "$ns" curl -s -o /dev/null -w '%{http_code}' "$url")" = 200 ] && return 0
    else
      [ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" = 200 ] && return 0
    fi
    sleep 0.1
  done
  echo "$url not ready after 30 s; logs in $WORK" >&2
  return 1
}

# pattern_ready NAME KEY=VALUE...: records the endpoints and says so.
pattern_ready() {
  local name=$1
  shift
  printf '%s\n' "WORK=$WORK" "$@" >"$WORK/endpoints.env"
  echo "pattern $name: ready"
}

# pattern_wait: keeps the script (and so everything it started) alive until a signal.
pattern_wait() {
  while true; do sleep 1 & wait $! || true; done
}
