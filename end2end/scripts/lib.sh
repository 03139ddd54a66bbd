# Sourced by the scripts (after env.sh): starting things, waiting for them, stopping them, and the
# fake Harbor's faults, written once.

# Waits until every URL answers 2xx: up to SECONDS, or until the process of PIDFILE (when given) exits.
# Polls every WAIT_INTERVAL seconds (0.1 unless set: a JVM that logs each health check wants fewer).
#   wait_ready SECONDS PIDFILE|- URL...
wait_ready() {
  local limit="$1" pidfile="$2" deadline url ok; shift 2
  deadline=$(($(date +%s%N) + limit * 1000000000))
  while (($(date +%s%N) < deadline)); do
    ok=1
    for url in "$@"; do curl -sf -o /dev/null "$url" || { ok=0; break; }; done
    ((ok)) && return 0
    if [[ "$pidfile" != - ]] && ! kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null; then return 1; fi
    sleep "${WAIT_INTERVAL:-0.1}"
  done
  return 1
}

# Stops the process of PIDFILE and what runs in its session (a `setsid` start: kc.sh's JVM, say):
# SIGTERM, up to 10 s to exit, then SIGKILL; removes the file.
stop_pidfile() {
  local pidfile="$1" pid pids alive p
  [[ -f "$pidfile" ]] || return 0
  pid="$(cat "$pidfile")"
  pids=("$pid" $(pgrep -s "$pid" 2>/dev/null || true))
  kill "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 100); do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  kill -9 "${pids[@]}" 2>/dev/null || true
  rm -f "$pidfile"
}

# Sets the fake Harbor's faults (latency_ms, status, ...); '{}' clears them.
fake_faults() {
  curl -sf -X POST "$FAKE_HARBOR_URL/__fake/faults" -H 'Content-Type: application/json' -d "$1" >/dev/null
}

# The passed and failed counts of a Playwright run, from its JSON report (the configs write one to
# $PLAYWRIGHT_JSON_OUTPUT_FILE); "0 1" when there is none.
playwright_counts() {
  node -e '
    try {
      const { stats } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      console.log(stats.expected + stats.flaky, stats.unexpected);
    } catch { console.log("0 1"); }' "$1"
}
