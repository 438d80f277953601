#!/bin/sh
# pipec emit: usage, determinism, and the drone-runtime round trip: every
# pipeline of every sample and golden input, emitted as drone-runtime and
# read back by pipec, is the same IR as the input's (tests/emit_roundtrip.py
# applies the documented mapping), and emitting what was read back gives
# the same text.  Golden outputs per format are checked by tests/golden.sh.
. tests/lib.sh

expect_exit 0 "emit: help" "$PIPEC" help emit
check "emit: help lists the formats" grep -q 'drone-runtime' "$TMP/out"
expect_exit 2 "emit: --format is required" "$PIPEC" emit samples/hello-world.yml
expect_exit 2 "emit: unknown format" "$PIPEC" emit --format=nope samples/hello-world.yml
check "emit: unknown format names the known ones" grep -q 'expected one of: drone-runtime' "$TMP/err"
expect_exit 2 "emit: invalid input" "$PIPEC" emit --format=drone-runtime tests/lib.sh
expect_exit 2 "emit: unknown pipeline" "$PIPEC" emit --format=drone-runtime --pipeline=nope samples/hello-world.yml

# Every format, every sample: written, twice the same bytes.
for fmt in $("$PIPEC" help emit | sed -n 's/^  \([a-z-]*\)  .*/\1/p'); do
	n=0 bad=
	for f in samples/*.yml; do
		n=$((n + 1))
		"$PIPEC" emit --format="$fmt" "$f" >"$TMP/one" 2>/dev/null || bad="$bad $f"
		"$PIPEC" emit --format="$fmt" "$f" >"$TMP/two" 2>/dev/null
		[ -s "$TMP/one" ] && cmp -s "$TMP/one" "$TMP/two" || bad="$bad $f"
	done
	check "emit $fmt: every sample ($n) is written, byte-identical twice${bad:+ (not:$bad)}" [ -z "$bad" ]
done

"$PIPEC" emit --format=drone-runtime -o "$TMP/o.json" samples/hello-world.yml 2>/dev/null
check "emit: -o writes the file" grep -q '"steps"' "$TMP/o.json"

# pipeline_names IR: the pipelines of a built IR file.
pipeline_names() {
	python3 -c 'import json, sys; print(" ".join(p["name"] for p in json.load(open(sys.argv[1]))["pipelines"]))' "$1"
}

n=0
for f in samples/*.yml tests/golden/drone/*.yml tests/golden/ir/*.json; do
	"$PIPEC" build "$f" -o "$TMP/a.json" 2>/dev/null || continue
	for p in $(pipeline_names "$TMP/a.json"); do
		n=$((n + 1))
		name="emit drone-runtime: $f pipeline $p"
		if ! "$PIPEC" emit --format=drone-runtime --pipeline="$p" "$f" -o "$TMP/d.json" 2>"$TMP/err" ||
		   ! "$PIPEC" build "$TMP/d.json" -o "$TMP/b.json" 2>>"$TMP/err"; then
			fail "$name: emitted and read back"; sed 's/^/#   /' "$TMP/err" | tail -5; continue
		fi
		if python3 tests/emit_roundtrip.py "$TMP/a.json" "$p" "$TMP/b.json" >"$TMP/cmp"; then
			ok "$name: reads back to the same IR"
		else
			fail "$name: reads back to the same IR"; cat "$TMP/cmp"
		fi
		"$PIPEC" emit --format=drone-runtime "$TMP/d.json" -o "$TMP/d2.json" 2>/dev/null
		check "$name: emitting it again gives the same text" cmp -s "$TMP/d.json" "$TMP/d2.json"
	done
done
check "emit drone-runtime: round trips found" [ $n -gt 20 ]
