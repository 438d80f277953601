#!/bin/sh
# pipec run on Docker when things go wrong: Ctrl-C during a service's
# wait, during a step's log stream and during a pull, a service the engine
# calls unhealthy, a step whose last line has no newline (read to its end
# a hundred times), an engine frozen with SIGSTOP, and an engine killed
# mid-step then restarted for `pipec prune`.  Each case checks the exit
# status, the message, a time bound loose enough for a busy machine, and
# that nothing is left.  The engine is a private one (ENGINE_ARGS), since
# the cases stop and kill it.
. tests/lib.sh
ENGINE_ARGS="--log-level=warn"
. tests/docker/lib.sh
docker_setup

now() { date +%s; }

# started PATTERN PID: waits up to 60 s, while PID runs, for a running
# container whose name has PATTERN.
started() {
	i=0
	while [ $i -lt 600 ] && kill -0 "$2" 2>/dev/null; do
		docker ps --filter label=pipec.run --format '{{.Names}}' | grep -q -- "$1" && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

# interrupt_run FILE PATTERN ARGS...: runs FILE, sends SIGINT once a
# container named PATTERN runs (and $before_int has run); rc in $rc,
# seconds from SIGINT to exit in $took.
before_int=:
interrupt_run() {
	f=$1 pat=$2; shift 2
	"$PIPEC" run --backend=docker "$@" "$f" >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	started "$pat" $pid || echo "# no container '$pat' started"
	sleep 1
	$before_int
	t0=$(now)
	kill -INT $pid
	wait $pid
	rc=$?
	took=$(($(now) - t0))
}

cat >"$TMP/wait.json" <<'JSON'
{"version": 1, "pipelines": [{"name": "wait", "type": "docker",
 "steps": [
  {"name": "svc", "image": "busybox:1.35", "detach": true, "command": ["sleep", "300"],
   "health": {"command": ["false"], "interval_ms": 500, "retries": 1000}},
  {"name": "step", "image": "busybox:1.35", "script": "echo ran\n"}
 ]}]}
JSON
interrupt_run "$TMP/wait.json" svc
check "service wait: SIGINT exits 130" exited 130 $rc
check "service wait: says it was interrupted" has "$TMP/err" "interrupted"
check "service wait: the step never ran" lacks "$TMP/out" 'step | ran'
check "service wait: over within 15 s of SIGINT (took ${took}s)" [ "$rc" -eq 130 -a "$took" -le 15 ]
leak_check "service wait"

cat >"$TMP/unhealthy.json" <<'JSON'
{"version": 1, "pipelines": [{"name": "unhealthy", "type": "docker",
 "steps": [
  {"name": "db", "image": "busybox:1.35", "detach": true, "command": ["sleep", "300"],
   "health": {"command": ["sh", "-c", "echo db-says-no; exit 1"], "interval_ms": 300,
              "retries": 2}},
  {"name": "step", "image": "busybox:1.35", "script": "echo ran\n"}
 ]}]}
JSON
t0=$(now)
prun "$TMP/unhealthy.json"
rc=$? took=$(($(now) - t0))
check "unhealthy: exits 1" exited 1 $rc
check "unhealthy: the health check's output is the reason" has "$TMP/err" "service 'db' is unhealthy: its health check said: db-says-no"
check "unhealthy: fails after the retries, not the service timeout (took ${took}s)" [ "$rc" -eq 1 -a "$took" -le 40 ]
leak_check unhealthy

cat >"$TMP/stream.yml" <<'YML'
kind: pipeline
type: docker
name: stream
clone:
  disable: true
steps:
- name: long
  image: busybox:1.35
  commands:
  - echo started
  - sleep 300
- name: after
  image: busybox:1.35
  commands:
  - echo after-ran
YML
interrupt_run "$TMP/stream.yml" long --grace 2s
check "log stream: SIGINT exits 130" exited 130 $rc
check "log stream: the output so far was shown" has "$TMP/out" "started"
check "log stream: no step starts after the interrupt" lacks "$TMP/out" after-ran
check "log stream: over within 15 s of SIGINT (took ${took}s)" [ "$rc" -eq 130 -a "$took" -le 15 ]
leak_check "log stream"

# A hundred steps that end without a newline, after a first one, four at a time.
{
	echo '{"version": 1, "pipelines": [{"name": "lastline", "type": "docker", "steps": ['
	echo '{"name": "s0", "image": "busybox:1.35", "script": "true"}'
	i=1
	while [ $i -le 100 ]; do
		printf ', {"name": "s%d", "image": "busybox:1.35", "depends_on": ["s0"], "script": "echo first; printf last-line-%d"}\n' $i $i
		i=$((i + 1))
	done
	echo ']}]}'
} >"$TMP/lastline.json"
prun "$TMP/lastline.json" -j 4
rc=$?
check "last line: exits 0" exited 0 $rc
n=$(grep -c 'last-line-[0-9]*$' "$TMP/out")
check "last line: every step's unterminated last line is there ($n of 100)" [ "$n" -eq 100 ]
leak_check "last line"

ENGINE_PIDFILE=$(dirname "${DOCKER_HOST#unix://}")/dockerd.pid

freeze() { kill -STOP "$(cat "$ENGINE_PIDFILE")"; sleep 1; }
before_int=freeze
interrupt_run "$TMP/stream.yml" long --grace 2s
before_int=:
kill -CONT "$(cat "$ENGINE_PIDFILE")"
check "frozen engine: SIGINT exits 130" exited 130 $rc
check "frozen engine: named as unresponsive" has "$TMP/err" "[docker-unresponsive]"
check "frozen engine: points at pipec prune" has "$TMP/err" "pipec prune"
check "frozen engine: over within 20 s of SIGINT (took ${took}s)" [ "$rc" -eq 130 -a "$took" -le 20 ]
"$PIPEC" prune >"$TMP/prune.out" 2>&1
check "frozen engine: pipec prune then exits 0" exited 0 $? "$TMP/prune.out"
leak_check "frozen engine"

"$PIPEC" run --backend=docker --report "$TMP/dead.json" "$TMP/stream.yml" >"$TMP/out" 2>"$TMP/err" &
pid=$!
started long $pid || echo "# the step did not start"
sleep 1
t0=$(now)
engine_crash
wait $pid
rc=$? took=$(($(now) - t0))
check "dead engine: exits 1" exited 1 $rc
check "dead engine: named as gone" has "$TMP/err" "[docker-gone]"
check "dead engine: says it stopped answering" has "$TMP/err" "stopped answering"
check "dead engine: says what was left and pipec prune" sh -c "grep -q 'left on the engine: .*container' '$TMP/err' && grep -q 'pipec prune' '$TMP/err'"
check "dead engine: over within 30 s (took ${took}s)" [ "$rc" -eq 1 -a "$took" -le 30 ]
check "dead engine: the report's error for the step gives the cause" python3 -c '
import json, sys
steps = json.load(open(sys.argv[1]))["pipelines"][0]["steps"]
sys.exit(0 if "stopped answering" in steps[0].get("error", "") else 1)' "$TMP/dead.json"
engine_launch
check "dead engine: the engine starts again" [ $? -eq 0 ]
"$PIPEC" prune >"$TMP/prune.out" 2>&1
check "dead engine: pipec prune exits 0" exited 0 $? "$TMP/prune.out"
check "dead engine: pipec prune removed the network" has "$TMP/prune.out" "removed network"
leak_check "dead engine"
