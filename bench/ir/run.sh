#!/bin/sh
# IR benchmark: ir_read() + ir_write() of a generated document against a
# bare cJSON parse + print of the same text, both measured in this run.
# STEPS sets the document's size (default 4000), RUNS the runs (11);
# BENCH_STRICT=1 makes a missed target fail the script.
set -e
cd "$(dirname "$0")/../.."
B=${B:-build}
OUT=$B/bench/ir
mkdir -p "$OUT"
if [ ! -f "$B/libir.a" ]; then
	echo "ir: $B/libir.a is missing; run make first" >&2
	exit 1
fi
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I. -o "$OUT/irbench" bench/ir/irbench.c \
	"$B/libir.a" $(pkg-config --libs libcjson) -lm
"$OUT/irbench"
