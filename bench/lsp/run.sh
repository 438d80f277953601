#!/bin/sh
# Language server benchmark: an editor sends a change on every keystroke
# and shows the diagnostics when they arrive, so the time from a change to
# its diagnostics, for a typical 100-line file, should stay within 2 ms
# (median), and the server's memory must stay flat however long the
# session.  edits.py drives a real `pipec lsp` through EDITS incremental
# changes (default 10,000) and reports the median and 90th percentile
# latency and the resident memory after a tenth of the edits and after all
# of them.  The baseline, measured in the same run, is one in-process
# compile+check of the same file (bench/lint/inproc.c): the ratio is what
# the protocol, the edit and the outline add to the compiler's own work.
# BENCH_STRICT=1 makes a missed target fail the script.
set -e
cd "$(dirname "$0")/../.."
EDITS=${EDITS:-10000}
OUT=${B:-build}/bench/lsp
PIPEC=${PIPEC:-./pipec}
FILE=bench/lint/pipeline.yml
TARGET_MS=2
mkdir -p "$OUT"
[ -x "$PIPEC" ] || { echo "lsp: $PIPEC is missing; run make first" >&2; exit 1; }
LIBDIR=${B:-build}
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I. -o "$OUT/inproc" bench/lint/inproc.c \
	"$LIBDIR/libvalidate.a" "$LIBDIR/libfrontend.a" "$LIBDIR/libir.a" \
	$(pkg-config --libs yaml-0.1 libcjson) -lm
base_us=$("$OUT/inproc" 2000 "$FILE")
set -- $(python3 bench/lsp/edits.py "$PIPEC" "$FILE" "$EDITS")
median=$1 p90=$2 early=$3 late=$4
python3 - "$median" "$p90" "$early" "$late" "$base_us" "$TARGET_MS" "$EDITS" <<'PY'
import sys
median, p90, early, late, base, target, edits = (float(x) for x in sys.argv[1:])
print("lsp: change to diagnostics, %d edits of a 100-line file: median %.3f ms, p90 %.3f ms "
      "(target %.0f ms: %s)" % (edits, median, p90, target, "met" if median <= target else "MISSED"))
print("lsp: ratio to one in-process compile+check (%.0f us): %.2fx" % (base, median * 1000 / base))
print("lsp: resident memory after %d edits %d KiB, after %d: %d KiB (ratio %.3f)"
      % (edits / 10, early, edits, late, late / early if early else 0))
PY
if [ "${BENCH_STRICT:-}" = 1 ]; then
	python3 -c "import sys; sys.exit(0 if float('$median') <= $TARGET_MS and $late <= $early * 1.05 + 256 else 1)"
fi
