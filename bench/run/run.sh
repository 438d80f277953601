#!/bin/sh
# pipec run on the local backend, each figure a ratio to a baseline
# measured here, in the same run:
#   steps   200 sequential `true` steps, against a shell loop running
#           `/bin/sh -c true` 200 times (target: <= 1.2x the time)
#   floor   the same, against floor.c spawning `/bin/sh -c true` 200 times
#           with posix_spawn and pipes: pipec's own cost per step
#   mask    a step printing 256 MiB through pipec with a secret to mask,
#           against the same command piped to `cat >/dev/null`
#           (target: >= 0.8x the throughput)
#   rss     pipec's peak resident memory (VmHWM) during a 100-step run
#           (target: <= 8 MiB), next to /bin/sh's as a yardstick
#   Ir      callgrind instructions per output byte on the masking path
#           (rt_mask_text) against the whole of pipec's work per byte
# Timed figures are medians of BENCH_RUNS (default 9, at least 7) runs of
# each side, interleaved.  PIPEC may name the binary (default ./pipec);
# BENCH_MB the mask size.
set -e
PIPEC=${PIPEC:-./pipec}
MB=${BENCH_MB:-256}
RUNS=${BENCH_RUNS:-9}
[ "$RUNS" -ge 7 ] || RUNS=7
T=$(mktemp -d "${TMPDIR:-/tmp}/pipec-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
LINE='a log line of typical length, with some words in it 0123456789'

now() { date +%s%N; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
ms() { awk -v n="$1" 'BEGIN { printf "%.0f", n / 1e6 }'; }

# steps N: an IR file with N sequential `true` steps
steps() {
	printf '{"version": 1, "pipelines": [{"name": "bench", "type": "local", "steps": ['
	i=0
	while [ $i -lt "$1" ]; do
		[ $i -gt 0 ] && printf ','
		printf '{"name": "s%d", "script": "true\\n"}' $i
		i=$((i + 1))
	done
	printf ']}]}\n'
}

# median: the middle of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# race: runs `mine` and `base` alternately, RUNS times each (at least 7),
# so a busy machine weighs on both alike; sets $mine and $base to the
# medians (ns)
race() {
	: >"$T/mine.ns"
	: >"$T/base.ns"
	k=0
	while [ $k -lt "$RUNS" ]; do
		s=$(now); run_mine >/dev/null 2>&1; e=$(now); echo $((e - s)) >>"$T/mine.ns"
		s=$(now); run_base >/dev/null 2>&1; e=$(now); echo $((e - s)) >>"$T/base.ns"
		k=$((k + 1))
	done
	mine=$(median <"$T/mine.ns") base=$(median <"$T/base.ns")
}

loop200() {
	i=0
	while [ $i -lt 200 ]; do /bin/sh -c true; i=$((i + 1)); done
}

steps 200 >"$T/steps200.json"
steps 100 >"$T/steps100.json"
run_mine() { "$PIPEC" run "$T/steps200.json"; }
run_base() { loop200; }
race
echo "run.steps: 200 steps median $(ms "$mine") ms, shell loop median $(ms "$base") ms, ratio $(ratio "$mine" "$base") (target <= 1.20; $RUNS runs each)"

# the same steps against a bare posix_spawn loop (bench/run/floor.c): how
# much of the time is pipec's own, apart from what spawning costs here
if ${CC:-cc} -O2 -o "$T/floor" "$(dirname "$0")/floor.c" 2>/dev/null; then
	run_base() { "$T/floor" 200; }
	race
	echo "run.floor: 200 steps median $(ms "$mine") ms, posix_spawn loop median $(ms "$base") ms, ratio $(ratio "$mine" "$base") (pipec's own share; $RUNS runs each)"
fi

bytes=$((MB * 1024 * 1024))
cat >"$T/print.json" <<JSON
{"version": 1, "pipelines": [{"name": "bench", "type": "local", "steps": [
 {"name": "print", "script": "yes '$LINE' | head -c $bytes\n"}]}]}
JSON
pipe_cat() { yes "$LINE" | head -c $bytes | cat >/dev/null; }
run_mine() { "$PIPEC" run --secret TOKEN=not-in-the-output-4f1c "$T/print.json"; }
run_base() { pipe_cat; }
race
echo "run.mask: $MB MiB median $(ms "$mine") ms, through cat median $(ms "$base") ms, throughput ratio $(ratio "$base" "$mine") (target >= 0.80; $RUNS runs each)"

# the last of 100 steps reads pipec's own high-water mark (its parent's)
# and how much of pipec is its own memory rather than shared libraries
sed 's|"s99", "script": "true\\n"|"s99", "script": "grep -E \x27VmHWM\|RssAnon\x27 /proc/$PPID/status\\n"|' \
	"$T/steps100.json" >"$T/rss.json"
"$PIPEC" run "$T/rss.json" >"$T/rss.out" 2>/dev/null
mine=$(awk '/VmHWM/ { print $(NF - 1) }' "$T/rss.out")
anon=$(awk '/RssAnon/ { print $(NF - 1) }' "$T/rss.out")
base=$(sh -c 'grep VmHWM /proc/$$/status' | awk '{ print $2 }')
echo "run.rss: peak ${mine:-?} KiB during 100 steps, $(ratio "${mine:-0}" 8192) of the 8 MiB budget (target <= 1.00); ${anon:-?} KiB of it pipec's own (the rest shared libraries); /bin/sh alone ${base} KiB"

if command -v valgrind >/dev/null 2>&1; then
	small=$((16 * 1024 * 1024))
	sed "s/head -c $bytes/head -c $small/" "$T/print.json" >"$T/small.json"
	valgrind --tool=callgrind --callgrind-out-file="$T/cg.out" \
		"$PIPEC" run --secret TOKEN=not-in-the-output-4f1c "$T/small.json" >/dev/null 2>&1
	total=$(callgrind_annotate --inclusive=yes "$T/cg.out" 2>/dev/null |
		awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')
	mask=$(callgrind_annotate --inclusive=yes "$T/cg.out" 2>/dev/null |
		awk '/rt_mask_text/ { gsub(",", "", $1); print $1; exit }')
	echo "run.Ir: masking $(ratio "${mask:-0}" $small) instructions/byte, all of pipec $(ratio "${total:-0}" $small) instructions/byte (ratio $(ratio "${mask:-0}" "${total:-1}"))"
fi
