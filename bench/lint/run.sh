#!/bin/sh
# Lint benchmark: an editor runs `pipec lint` on every keystroke, so the
# whole process (start, read, compile, check, print) on a typical
# 100-line file should take at most 5 ms (median).  Reports pipec's
# median and, measured in the same run, its ratio to starting /bin/true
# (the cost of any process at all) and to `pipec --version` (the cost of
# starting pipec itself: loading its shared libraries), so what lint
# itself costs shows as the difference.  Two more figures separate the
# parts: the in-process cost of one compile+check (inproc.c), and the
# start of an empty program linked with only what lint needs, libyaml and
# cJSON (start.c): the floor for pipec's own start, which links the same
# (the Docker backend and its libcurl are a module, loaded only to run on
# Docker).  Uses hyperfine when installed, else a
# timing loop.  RUNS sets the number of runs (default 300); BENCH_STRICT=1
# makes a missed target fail the script.
set -e
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-300}
OUT=${B:-build}/bench/lint
PIPEC=${PIPEC:-./pipec}
FILE=bench/lint/pipeline.yml
TARGET_MS=5
mkdir -p "$OUT"

if [ ! -x "$PIPEC" ]; then
	echo "lint: $PIPEC is missing; run make first" >&2
	exit 1
fi
cp "$PIPEC" "$OUT/pipec"
PIPEC=$OUT/pipec
LIBDIR=${B:-build}
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I. -o "$OUT/inproc" bench/lint/inproc.c \
	"$LIBDIR/libvalidate.a" "$LIBDIR/libfrontend.a" "$LIBDIR/libir.a" \
	$(pkg-config --libs yaml-0.1 libcjson) -lm
cc -O2 -o "$OUT/start" bench/lint/start.c -Wl,--no-as-needed $(pkg-config --libs yaml-0.1 libcjson)
# The file must lint clean, or the figures would time an error path.
"$PIPEC" lint --strict "$FILE" >"$OUT/lint.out" || { cat "$OUT/lint.out" >&2; exit 1; }

if command -v hyperfine >/dev/null 2>&1; then
	hyperfine -N --warmup 20 --runs "$RUNS" --export-json "$OUT/times.json" \
		"/bin/true" "$PIPEC --version" "$PIPEC lint $FILE" "$OUT/start" >/dev/null 2>&1
	MEDIANS=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print(" ".join("%.6f" % x["median"] for x in r))' "$OUT/times.json")
else
	MEDIANS=$(python3 - "$RUNS" "$PIPEC" "$FILE" "$OUT/start" <<'PY'
import statistics, subprocess, sys, time
runs, pipec, f = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def median(cmd):
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL)
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)
print("%.6f %.6f %.6f %.6f" % (median(["/bin/true"]), median([pipec, "--version"]),
                              median([pipec, "lint", f]), median([sys.argv[4]])))
PY
)
fi
INPROC_US=$("$OUT/inproc" "$RUNS" "$FILE")
set -- $MEDIANS
python3 - "$1" "$2" "$3" "$4" "$INPROC_US" "$TARGET_MS" "$(wc -l <"$FILE")" <<'PY'
import sys
true_s, start_s, lint_s, bare_s = (float(x) for x in sys.argv[1:5])
inproc_s, target, lines = float(sys.argv[5]) / 1e6, float(sys.argv[6]), sys.argv[7]
print("lint: %s-line file, median %.2f ms (target <= %.0f ms)" % (lines, lint_s * 1e3, target))
print("lint: %.1fx /bin/true (%.2f ms); %.2fx pipec --version (%.2f ms): lint's own work %.2f ms"
      % (lint_s / true_s, true_s * 1e3, lint_s / start_s, start_s * 1e3,
         max(lint_s - start_s, 0) * 1e3))
print("lint: compile+check in process %.2f ms; a program linking only libyaml and cJSON "
      "starts in %.2f ms (%.1fx /bin/true), so lint could take no less than ~%.2f ms"
      % (inproc_s * 1e3, bare_s * 1e3, bare_s / true_s, (bare_s + inproc_s) * 1e3))
PY
LINT_MS_OK=$(python3 -c "print(int(float('$3') * 1e3 <= $TARGET_MS))")
if [ "$LINT_MS_OK" != 1 ]; then
	echo "lint: median above ${TARGET_MS} ms"
	[ "${BENCH_STRICT:-0}" = 1 ] && exit 1
fi
exit 0
