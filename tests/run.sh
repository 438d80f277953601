#!/bin/sh
# Runs every test: the Criterion binaries given as arguments, then each
# tests/e2e/*.sh.  A skipped case is counted as skipped, never as passed:
# Criterion's `[SKIP] suite::name: reason` lines (it runs --verbose for
# them) and e2e lines `ok - NAME # SKIP reason`.  Ends by listing every
# skip with its reason, every failure with its suite, and the line
# `N passed, N failed, N skipped`;
# exits 1 on any failure.  ONLY=unit runs the binaries alone; E2E names
# the shell suites to run instead of all of them.
B=${B:-build}
pass=0 failed=0 skipped=0
log=$(mktemp) skips=$(mktemp) fails=$(mktemp)
trap 'rm -f "$log" "$skips" "$fails"' EXIT

# unit BIN: one Criterion binary; its skips go to $skips.
unit() {
	"$1" --verbose --jobs=2 >"$log" 2>&1
	rc=$?
	grep -Ev '^\[(----|RUN |PASS)\]|^\[====\] Running' "$log" | tail -40
	line=$(grep 'Synthesis:' "$log" | tail -1)
	t=$(echo "$line" | sed -n 's/.*Tested: \([0-9]*\).*/\1/p')
	p=$(echo "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
	if [ -z "$t" ]; then
		echo "$1: no Criterion summary (exit $rc)" | tee -a "$fails"
		failed=$((failed + 1)); return
	fi
	grep '^\[FAIL\]' "$log" | sed "s|^|$1: |" >>"$fails"
	s=$(grep -c '^\[SKIP\]' "$log")
	grep '^\[SKIP\]' "$log" | sed "s|^\[SKIP\] |$1: |" >>"$skips"
	pass=$((pass + p)); failed=$((failed + t - p)); skipped=$((skipped + s))
	if [ "$rc" -ne 0 ] && [ "$t" -eq "$p" ]; then
		echo "$1: exited $rc" >>"$fails"; failed=$((failed + 1))
	fi
}

# e2e SCRIPT: one shell suite; `ok - ... # SKIP reason` is a skip.
e2e() {
	PIPEC=${PIPEC:-./$B/bin/pipec} sh "$1" >"$log" 2>&1
	rc=$?
	cat "$log"
	s=$(grep -ci '^ok - .*# skip' "$log")
	p=$(($(grep -c '^ok - ' "$log") - s)) f=$(grep -c '^not ok - ' "$log")
	grep -i '^ok - .*# skip' "$log" | sed "s|^ok - |$1: |" >>"$skips"
	grep '^not ok - ' "$log" | sed "s|^not ok - |$1: |" >>"$fails"
	pass=$((pass + p)); failed=$((failed + f)); skipped=$((skipped + s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "$1: exited $rc" | tee -a "$fails"; failed=$((failed + 1))
	fi
}

for bin in "$@"; do
	echo "== $bin"
	unit "$bin"
done

if [ "$ONLY" != unit ]; then
	for t in ${E2E:-tests/e2e/*.sh}; do
		[ -f "$t" ] || continue
		echo "== $t"
		e2e "$t"
	done
fi

if [ -s "$skips" ]; then
	echo "== skipped"
	cat "$skips"
fi
if [ -s "$fails" ]; then
	echo "== failed"
	cat "$fails"
fi
echo "$pass passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
