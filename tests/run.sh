#!/bin/sh
# Runs every test: the Criterion binaries given as arguments, then each
# tests/e2e/*.sh.  Ends with the line `N passed, N failed` and exits 1 on
# any failure.
B=${B:-build}
pass=0 failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for bin in "$@"; do
	echo "== $bin"
	"$bin" --jobs=2 >"$log" 2>&1
	rc=$?
	cat "$log" | grep -v '^\[----\]' | tail -40
	line=$(grep 'Synthesis:' "$log" | tail -1)
	t=$(echo "$line" | sed -n 's/.*Tested: \([0-9]*\).*/\1/p')
	p=$(echo "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
	if [ -z "$t" ]; then
		echo "$bin: no Criterion summary (exit $rc)"; failed=$((failed + 1)); continue
	fi
	pass=$((pass + p)); failed=$((failed + t - p))
	[ "$rc" -ne 0 ] && [ "$t" -eq "$p" ] && failed=$((failed + 1))
done

if [ "$ONLY" != unit ]; then
	for t in tests/e2e/*.sh; do
		[ -f "$t" ] || continue
		echo "== $t"
		PIPEC=${PIPEC:-./$B/bin/pipec} sh "$t" >"$log" 2>&1
		rc=$?
		cat "$log"
		p=$(grep -c '^ok - ' "$log") f=$(grep -c '^not ok - ' "$log")
		pass=$((pass + p)); failed=$((failed + f))
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			echo "$t: exited $rc"; failed=$((failed + 1))
		fi
	done
fi

echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
