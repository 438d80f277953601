#!/bin/sh
# run.sh DIR [TARGET...]: runs each libFuzzer target in DIR (every one
# when none is named) for FUZZ_TIME seconds, starting from seeds.sh's
# seeds and the corpus kept in FUZZ_CORPUS (default build/fuzz/corpus;
# what a run finds is added there).  Prints `ok - fuzz TARGET` or
# `not ok - fuzz TARGET` with where the failing input was saved
# (FUZZ_CRASHES, default build/fuzz/crashes) and how to run it again.
# FUZZ_SEED fixes libFuzzer's random seed, so that a run of the same
# targets from the same seeds tries the same inputs in the same order.
# Exits 1 when any target failed.
dir=$1
shift
time=${FUZZ_TIME:-60}
corpus=${FUZZ_CORPUS:-build/fuzz/corpus}
crashes=${FUZZ_CRASHES:-build/fuzz/crashes}
targets=$*
[ -n "$targets" ] || targets=$(cd "$dir" && ls | grep -v '\.d$')
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
mkdir -p "$crashes"
failed=0
for t in $targets; do
	bin=$dir/$t
	if [ ! -x "$bin" ]; then
		echo "not ok - fuzz $t: no target $bin"; failed=1; continue
	fi
	rm -rf "$work/seeds" && sh tests/fuzz/seeds.sh "$t" "$work/seeds" || { failed=1; continue; }
	mkdir -p "$corpus/$t"
	log=$work/$t.log
	"$bin" -max_total_time="$time" -seed="${FUZZ_SEED:-0}" -timeout=25 -rss_limit_mb=3072 -print_final_stats=1 \
		-artifact_prefix="$crashes/$t-" "$corpus/$t" "$work/seeds" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ "$rc" -eq 0 ]; then
		echo "ok - fuzz $t (${runs:-?} runs in ${time}s)"
		continue
	fi
	failed=1
	input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
	echo "not ok - fuzz $t: exit $rc after ${runs:-?} runs; the input is $input"
	echo "# run it again: $bin $input"
	# what the target said, then the first frames of the stack
	grep -Ev '^(INFO|NOTE|MS|base64):|^#[0-9]|^    #|^      Combine|^0x|^$' "$log" |
		head -40 | sed 's/^/# /'
	grep '^    #[0-9]' "$log" | head -12 | sed 's/^/# /'
done
exit "$failed"
