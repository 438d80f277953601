#!/bin/sh
# Memory benchmark: pipec's peak RSS against the size of what it reads.
# The target is that any accepted input costs at most 3 times its size
# plus 16 MiB, and that a file over the 64 MiB input ceiling is refused
# before it is read.  Measured in this run, with `pipec build` of:
#   - many small steps: PIPELINES documents of STEPS steps each (default
#     124 x 4000, about 44 MB), the shape that makes the most IR per byte,
#   - one huge scalar: a single step whose block scalar is SCALAR_MB MB
#     (default 60) of commands,
#   - a sparse 100 MiB file, which must be refused at about the RSS of
#     `pipec --version` (the baseline: the executable and its libraries).
# Each line gives the peak RSS, its ratio to the input, and the limit.
# BENCH_STRICT=1 makes a missed target fail the script.
set -e
cd "$(dirname "$0")/../.."
PIPELINES=${PIPELINES:-124}
STEPS=${STEPS:-4000}
SCALAR_MB=${SCALAR_MB:-60}
OUT=${B:-build}/bench/memory
PIPEC=${PIPEC:-./pipec}
mkdir -p "$OUT"
if [ ! -x "$PIPEC" ]; then
	echo "memory: $PIPEC is missing; run make first" >&2
	exit 1
fi
cc -O2 -std=c11 -D_DEFAULT_SOURCE -o "$OUT/timeit" bench/frontend/timeit.c
cp "$PIPEC" "$OUT/pipec"
PIPEC=$OUT/pipec

awk -v np="$PIPELINES" -v ns="$STEPS" 'BEGIN {
	for (p = 0; p < np; p++) {
		if (p)
			print "---"
		print "kind: pipeline\ntype: docker"
		printf "name: p%03d\nclone:\n  disable: true\nsteps:\n", p
		for (i = 0; i < ns; i++) {
			printf "- name: s%04d\n  image: golang:1.22\n  commands: [go test ./pkg/%d]\n", i, i
			if (i)
				printf "  depends_on: [s%04d]\n", i - 1
		}
	}
}' >"$OUT/steps.yml"
awk -v mb="$SCALAR_MB" 'BEGIN {
	printf "kind: pipeline\ntype: exec\nname: scalar\nsteps:\n- name: long\n  commands:\n  - |\n"
	line = "    echo"
	while (length(line) < 99)
		line = line " a"
	for (n = int(mb * 1e6 / 100); n > 0; n--)
		print line
}' >"$OUT/scalar.yml"
rm -f "$OUT/huge.yml"
truncate -s 100M "$OUT/huge.yml"

# Each input must build, or the figure would measure an error path.
for f in steps scalar; do
	"$PIPEC" build "$OUT/$f.yml" -o /dev/null 2>"$OUT/$f.err" || { cat "$OUT/$f.err" >&2; exit 1; }
done
if "$PIPEC" build "$OUT/huge.yml" -o /dev/null 2>"$OUT/huge.err" ||
   ! grep -q 'input-too-large' "$OUT/huge.err"; then
	echo "memory: the 100 MiB file was not refused as too large" >&2
	exit 1
fi

# peak NAME CMD...: the peak RSS in KiB of one run of CMD.
peak() {
	"$OUT/timeit" 1 "$@" | awk '{ print $2 }'
}
BASE_KB=$(peak "$PIPEC" --version)
STEPS_KB=$(peak "$PIPEC" build "$OUT/steps.yml" -o /dev/null)
SCALAR_KB=$(peak "$PIPEC" build "$OUT/scalar.yml" -o /dev/null)
HUGE_KB=$(peak sh -c '"$0" build "$1" -o /dev/null 2>/dev/null; [ $? -eq 2 ]' "$PIPEC" "$OUT/huge.yml")

awk -v base="$BASE_KB" -v strict="${BENCH_STRICT:-0}" \
    -v steps_kb="$STEPS_KB" -v steps_b="$(wc -c <"$OUT/steps.yml")" \
    -v scalar_kb="$SCALAR_KB" -v scalar_b="$(wc -c <"$OUT/scalar.yml")" \
    -v huge_kb="$HUGE_KB" -v np="$PIPELINES" -v ns="$STEPS" '
function verdict(ok) { if (!ok) missed++; return ok ? "ok" : "MISSED" }
function line(name, kb, bytes,   limit) {
	limit = 3 * bytes / 1024 + 16384
	printf "  %-22s %6.1f MB input, peak RSS %6.1f MB = %5.2fx the input (limit %6.1f MB)  %s\n",
		name, bytes / 1e6, kb / 1024, kb * 1024 / bytes, limit / 1024, verdict(kb <= limit)
}
BEGIN {
	printf "memory: peak RSS of pipec build; target 3x the input + 16 MiB\n"
	printf "  pipec --version        peak RSS %6.1f MB (baseline)\n", base / 1024
	line(np " x " ns " steps", steps_kb, steps_b)
	line("one huge scalar", scalar_kb, scalar_b)
	printf "  100 MiB file refused   peak RSS %6.1f MB, %+.1f MB over the baseline (target < 4)  %s\n",
		huge_kb / 1024, (huge_kb - base) / 1024, verdict(huge_kb - base < 4096)
	exit (strict && missed) ? 1 : 0
}'
