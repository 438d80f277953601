#!/bin/sh
# pipec run on the Docker backend (issue 6, item 10), each figure a ratio
# to a baseline measured here, in the same run, on the same engine:
#   floor     20 sequential no-op steps, against the engine floor: a
#             network, then 20 x create/start/wait/remove on it through
#             the API with curl (target: <= 1.05x the time)
#   parallel  8 independent 1 s steps, against the same 8 in sequence
#             (target: <= 0.6x the time)
#   output    256 MiB of step output through pipec with a secret to mask,
#             against curl following the same container's logs endpoint
#             (target: >= 0.8x the throughput)
#   rss       pipec's peak resident memory during a 100-step run
#             (target: <= 10 MiB), against a 1-step run
# An engine is found or started as the tests do (tests/docker/engine.sh).
# PIPEC may name the binary (default ./pipec); BENCH_MB the output size.
set -e
cd "$(dirname "$0")/../.."
PIPEC=${PIPEC:-./pipec}
MB=${BENCH_MB:-256}
T=$(mktemp -d "${TMPDIR:-/tmp}/pipec-bench.XXXXXX")
. tests/docker/engine.sh
. tests/docker/images.sh
trap 'set +e; engine_down; rm -rf "$T"' EXIT
if ! engine_up; then
	echo "docker: no engine answers and none could be started; skipped"
	exit 0
fi
images_build
IMG=busybox:1.35
case $DOCKER_HOST in
unix://*) SOCK=${DOCKER_HOST#unix://} ;;
*) echo "docker: the curl baselines need a unix socket; skipped"; exit 0 ;;
esac
API=$(curl -s --unix-socket "$SOCK" http://engine/version | sed -n 's/.*"ApiVersion":"\([^"]*\)".*/\1/p')
E=http://engine/v$API

now() { date +%s%N; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
ms() { awk -v n="$1" 'BEGIN { printf "%.0f", n / 1e6 }'; }
api() { curl -sf --unix-socket "$SOCK" -H 'Content-Type: application/json' "$@"; }
create() { api -d "$1" "$E/containers/create" | sed -n 's/.*"Id":"\([0-9a-f]*\)".*/\1/p'; }

# best CMD...: the fastest of three runs, in ns (the machine may be busy)
best() {
	b=
	for _ in 1 2 3; do
		s=$(now); "$@" >/dev/null 2>&1; e=$(now)
		d=$((e - s))
		if [ -z "$b" ] || [ $d -lt "$b" ]; then b=$d; fi
	done
	echo "$b"
}

# ir N DEPS CMD: N steps running CMD (a JSON string); DEPS=1 makes them
# all depend on a first step, so they may run together.
ir() {
	printf '{"version": 1, "pipelines": [{"name": "bench", "type": "docker", "steps": ['
	[ "$2" = 1 ] && printf '{"name": "first", "image": "%s", "command": ["true"]},' $IMG
	i=0
	while [ $i -lt "$1" ]; do
		[ $i -gt 0 ] && printf ','
		printf '{"name": "s%d", "image": "%s", "command": %s' $i $IMG "$3"
		[ "$2" = 1 ] && printf ', "depends_on": ["first"]'
		printf '}'
		i=$((i + 1))
	done
	printf ']}]}\n'
}

# The floor does what any runner must: one network for the run (the
# steps reach each other by name), then per step create on it, start,
# wait, remove.  Without the network the engine starts containers faster
# but they could not talk to each other.
floor20() {
	api -d '{"Name": "pipec-bench-floor"}' "$E/networks/create" >/dev/null
	net='"NetworkingConfig": {"EndpointsConfig": {"pipec-bench-floor": {"Aliases": ["step"]}}}'
	i=0
	while [ $i -lt 20 ]; do
		id=$(create "{\"Image\": \"$IMG\", \"Cmd\": [\"true\"], \"HostConfig\": {\"NetworkMode\": \"pipec-bench-floor\"}, $net}")
		api -X POST "$E/containers/$id/start" >/dev/null
		api -X POST "$E/containers/$id/wait" >/dev/null
		api -X DELETE "$E/containers/$id?force=1&v=1" >/dev/null
		i=$((i + 1))
	done
	api -X DELETE "$E/networks/pipec-bench-floor" >/dev/null
}

ir 20 0 '["true"]' >"$T/floor.json"
base=$(best floor20)
mine=$(best "$PIPEC" run --backend=docker "$T/floor.json")
echo "docker.floor: 20 steps $(ms "$mine") ms, API floor $(ms "$base") ms, ratio $(ratio "$mine" "$base") (target <= 1.05)"

ir 8 0 '["sleep", "1"]' >"$T/seq.json"
ir 8 1 '["sleep", "1"]' >"$T/par.json"
seq=$(best "$PIPEC" run --backend=docker "$T/seq.json")
par=$(best "$PIPEC" run --backend=docker "$T/par.json")
echo "docker.parallel: 8 steps together $(ms "$par") ms, in sequence $(ms "$seq") ms, ratio $(ratio "$par" "$seq") (target <= 0.60)"

bytes=$((MB * 1024 * 1024))
gen="yes 'a log line of typical length, with some words in it 0123456789' | head -c $bytes"
cat >"$T/out.json" <<JSON
{"version": 1, "pipelines": [{"name": "bench", "type": "docker",
 "secrets": [{"name": "token"}],
 "steps": [{"name": "print", "image": "$IMG", "command": ["sh", "-c", "$gen"],
            "secrets": [{"name": "token", "env": "TOKEN"}]}]}]}
JSON
follow() {
	id=$(create "{\"Image\": \"$IMG\", \"Cmd\": [\"sh\", \"-c\", \"$gen\"]}")
	api -X POST "$E/containers/$id/start" >/dev/null
	api "$E/containers/$id/logs?follow=1&stdout=1&stderr=1" -o /dev/null
	api -X DELETE "$E/containers/$id?force=1&v=1" >/dev/null
}
# one run each: at this size a run is long enough to be steady
once() { s=$(now); "$@" >/dev/null 2>&1; e=$(now); echo $((e - s)); }
base=$(once follow)
mine=$(once "$PIPEC" run --backend=docker --secret token=n0t-in-the-output "$T/out.json")
echo "docker.output: $MB MiB through pipec $(ms "$mine") ms, curl on the logs endpoint $(ms "$base") ms, throughput ratio $(ratio "$base" "$mine") (target >= 0.80)"

# Peak RSS from time(1), for 100 steps and, as the baseline, for one:
# what pipec costs before any step runs against what each step adds.
# Meanwhile /proc is sampled for what the last sample held: pipec's own
# heap and stack, the shared libraries mapped (libcurl's closure is most
# of the figure; docs/docker.md, "Memory") and anonymous mappings (large
# allocations, other threads' stacks and malloc arenas).  The peak itself
# comes at exit, as the libraries' destructors run, after the last sample.
# peak_rss IR: prints "PEAK_KB OWN_KB LIBS_KB ANON_KB"
peak_rss() {
	/usr/bin/time -f %M -o "$T/rss" "$PIPEC" run --backend=docker "$1" >/dev/null 2>&1 &
	tpid=$!
	last="0 0 0"
	while kill -0 $tpid 2>/dev/null; do
		for p in $(pgrep -P $tpid 2>/dev/null); do
			s=$(awk '/^[0-9a-f]+-/ { n = $6 }
				/^Rss:/ { if (n == "[heap]" || n == "[stack]") own += $2; else if (n ~ /\.so/) lib += $2; else if (n == "") anon += $2 }
				END { if (own) print own, lib, anon + 0 }' /proc/$p/smaps 2>/dev/null)
			[ -n "$s" ] && last=$s
		done
		sleep 0.05
	done
	wait $tpid || true
	echo "$(tail -1 "$T/rss") $last"
}
ir 1 0 '["true"]' >"$T/steps1.json"
ir 100 0 '["true"]' >"$T/steps100.json"
set -- $(peak_rss "$T/steps1.json")
one=$1
set -- $(peak_rss "$T/steps100.json")
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
echo "docker.rss: 100 steps, peak RSS $(mib "$1") MiB (target <= 10), 1 step $(mib "$one") MiB, ratio $(ratio "$1" "$one"); last sampled: shared libraries $(mib "$3") MiB, pipec's heap and stack $(mib "$2") MiB, anonymous mappings $(mib "$4") MiB"
