#!/bin/sh
# Frontend benchmark: compiles a generated 2,000-step (~1 MB) Drone file
# with `pipec build` and reports, all measured in this run:
#   - pipec's time as a ratio to a bare libyaml event scan of the same
#     file (yamlscan.c; target <= 1.5x): the two run in turn, and the
#     figure is the median of the rounds' ratios,
#   - how many times faster it is than python3 with yaml.CSafeLoader and
#     json.dumps (target >= 10x),
#   - pipec's peak RSS as a ratio to the input size (target <= 8x),
#   - callgrind instruction counts for pipec and the scan (when valgrind
#     is installed).
# RUNS sets the number of rounds (default 21); STEPS the file's size.
# BENCH_STRICT=1 makes a missed target fail the script.
set -e
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-21}
STEPS=${STEPS:-2000}
OUT=${B:-build}/bench/frontend
PIPEC=${PIPEC:-./pipec}
mkdir -p "$OUT"

cc -O2 -o "$OUT/yamlscan" bench/frontend/yamlscan.c $(pkg-config --cflags --libs yaml-0.1)
cc -O2 -std=c11 -D_DEFAULT_SOURCE -o "$OUT/timeit" bench/frontend/timeit.c
# The frontend alone, linked from the archives `make` built.
LIBDIR=${B:-build}
cc -O2 -std=c11 -I. -o "$OUT/fecompile" bench/frontend/fecompile.c \
	"$LIBDIR/libfrontend.a" "$LIBDIR/libir.a" $(pkg-config --libs yaml-0.1 libcjson) -lm
sh bench/frontend/gen.sh "$STEPS" > "$OUT/bench.yml"
FILE=$OUT/bench.yml
BYTES=$(wc -c < "$FILE")

if [ ! -x "$PIPEC" ]; then
	echo "frontend: $PIPEC is missing; run make first" >&2
	exit 1
fi
# A private copy: a rebuild replacing ./pipec mid-run would kill it.
cp "$PIPEC" "$OUT/pipec"
PIPEC=$OUT/pipec
# The compile must succeed, or the figures would time an error path.
"$PIPEC" build "$FILE" -o /dev/null 2>"$OUT/pipec.stderr" || { cat "$OUT/pipec.stderr" >&2; exit 1; }

# The scan, pipec and the frontend alone take turns, round by round; each
# ratio is the median of the rounds' ratios.
R=$("$OUT/timeit" "$RUNS" "$OUT/yamlscan" "$FILE" :: "$PIPEC" build "$FILE" -o /dev/null :: \
	"$OUT/fecompile" "$FILE")
set -- $R; SCAN_US=$1; PIPEC_US=$4; PIPEC_KB=$5; PIPEC_R=$6; FE_US=$7; FE_KB=$8; FE_R=$9
# Starting pipec (loading its libraries, reading the git context) costs the same for
# any input; shown apart so the compile's own cost is visible.
R=$("$OUT/timeit" "$RUNS" "$PIPEC" --version)
set -- $R; START_US=$1
PY_US=
if python3 -c 'import yaml; yaml.CSafeLoader' 2>/dev/null; then
	R=$("$OUT/timeit" "$(( (RUNS + 1) / 2 ))" python3 -c \
		'import sys, json, yaml; json.dumps(list(yaml.load_all(open(sys.argv[1]), Loader=yaml.CSafeLoader)))' \
		"$FILE")
	set -- $R; PY_US=$1
else
	echo "frontend: python3 yaml (python3-yaml) is missing; skipping that route" >&2
fi

# Instruction counts: stable where wall time is noisy.
callgrind() {
	valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
		sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}
SCAN_IR= PIPEC_IR= FE_IR=
if command -v valgrind >/dev/null 2>&1; then
	SCAN_IR=$(callgrind "$OUT/yamlscan" "$FILE")
	PIPEC_IR=$(callgrind "$PIPEC" build "$FILE" -o /dev/null)
	FE_IR=$(callgrind "$OUT/fecompile" "$FILE")
fi

awk -v bytes="$BYTES" -v steps="$STEPS" -v runs="$RUNS" -v scan="$SCAN_US" \
    -v pipec="$PIPEC_US" -v kb="$PIPEC_KB" -v py="$PY_US" -v fe="$FE_US" -v fe_kb="$FE_KB" -v start="$START_US" \
    -v pipec_r="$PIPEC_R" -v fe_r="$FE_R" \
    -v scan_ir="$SCAN_IR" -v pipec_ir="$PIPEC_IR" -v fe_ir="$FE_IR" -v strict="${BENCH_STRICT:-0}" '
function verdict(ok) { if (!ok) missed++; return ok ? "ok" : "MISSED" }
BEGIN {
	printf "frontend: %d steps, %.2f MB, median of %d rounds\n", steps, bytes / 1e6, runs
	r = pipec_r
	printf "  libyaml event scan   %8.1f ms\n", scan / 1000
	printf "  pipec build          %8.1f ms  %5.2fx the scan      (target <= 1.5x)  %s\n",
		pipec / 1000, r, verdict(r <= 1.5)
	if (py != "") {
		f = py / pipec
		printf "  python3 CSafeLoader  %8.1f ms  pipec %5.1fx faster  (target >= 10x)   %s\n",
			py / 1000, f, verdict(f >= 10)
	}
	m = kb * 1024 / bytes
	printf "  pipec peak RSS       %8.1f MB  %5.2fx the input     (target <= 8x)    %s\n",
		kb / 1024, m, verdict(m <= 8)
	printf "  pipec --version      %8.1f ms  (process start; build less start: %.2fx the scan)\n",
		start / 1000, (pipec - start) / scan
	printf "  fe_compile alone     %8.1f ms  %5.2fx the scan, peak RSS %.2fx the input\n",
		fe / 1000, fe_r, fe_kb * 1024 / bytes
	if (scan_ir != "" && pipec_ir != "")
		printf "  callgrind            scan %.1fM instructions; pipec build %.2fx, fe_compile %.2fx\n",
			scan_ir / 1e6, pipec_ir / scan_ir, fe_ir / scan_ir
	exit (strict && missed) ? 1 : 0
}'
