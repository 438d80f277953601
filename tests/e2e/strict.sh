#!/bin/sh
# Tolerant where Drone is, strict on request: every diagnostic case whose
# findings are all warnings (tests/diag/) compiles with status 0 and
# writes IR; with --strict, build and validate refuse it with status 2
# and lint fails with status 1, reporting the same findings as errors.
# Every case is compiled in one build context, whatever branch the
# checkout is on, so a trigger on main does not skip a case's pipelines.
. tests/lib.sh
ctx="--branch=main --ref=refs/heads/main --event=push"

cases=0
for f in tests/diag/*/*.yml; do
	grep -q '^# expect: .*: warning: ' "$f" || continue
	grep -q '^# expect: .*: error: ' "$f" && continue
	case_=${f#tests/diag/}
	rule=${case_%%/*}
	cases=$((cases + 1))
	produces "$case_ compiles with warnings" "$TMP/ir.json" $PIPEC build --trusted $ctx -o "$TMP/ir.json" "$f"
	check "$case_ writes IR" grep -q '"pipelines"' "$TMP/ir.json"
	check "$case_ warns [$rule]" grep -q ": warning: .*\[$rule\]\$" "$TMP/err"
	expect_exit 2 "$case_: build --strict refuses it" $PIPEC build --trusted $ctx --strict -o "$TMP/strict.json" "$f"
	check "$case_: build --strict reports [$rule] as an error" grep -q ": error: .*\[$rule\]\$" "$TMP/err"
	check "$case_: build --strict writes no IR" sh -c "[ $got -eq 2 ] && [ ! -s '$TMP/strict.json' ]"
	expect_exit 2 "$case_: validate --strict refuses it" $PIPEC validate --trusted $ctx --strict "$f"
	expect_exit 1 "$case_: lint --strict fails" $PIPEC lint --trusted $ctx --strict "$f"
	check "$case_: lint --strict reports [$rule] as an error" grep -q ": error: .*\[$rule\]\$" "$TMP/out"
	rm -f "$TMP/ir.json" "$TMP/strict.json"
done
check "there are warning-only cases" test "$cases" -gt 3

# A mount of an undeclared volume is dropped, and the run says so.
cat >"$TMP/mount.yml" <<'EOF2'
kind: pipeline
type: exec
name: build
steps:
- name: build
  volumes:
  - name: cache
    path: /tmp/cache
  commands:
  - echo built
EOF2
(cd "$TMP" && $PIPEC run mount.yml >out 2>err)
check "a run with an undeclared mount succeeds" grep -q "^build | built" "$TMP/out"
check "the run says the mount is dropped" \
	grep -q "mount.yml:5:3: warning: step 'build' mounts undeclared volume 'cache', so the mount is dropped \[unknown-volume\]" "$TMP/err"
