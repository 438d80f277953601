# The command line: help, version, exit codes, output files, the build
# context options that `when` and `trigger` see.
. tests/lib.sh

produces "--help exits 0 and prints" "$TMP/out" "$PIPEC" --help
check "--help names the exit codes" grep -q '130 interrupted' "$TMP/out"
produces "--version exits 0 and prints" "$TMP/out" "$PIPEC" --version
check "--version names the IR version" grep -q 'IR v3' "$TMP/out"
expect_exit 2 "no arguments is a usage error" "$PIPEC"
for c in build validate lint run plan graph schema prune; do
	produces "help $c" "$TMP/out" "$PIPEC" help "$c"
	check "help $c prints its usage" grep -q "usage: pipec" "$TMP/out"
done
# docs/run.md's option table and `pipec help run` name the same options
# (the build context options have a section of their own in both).
"$PIPEC" help run >"$TMP/help-run"
sed -n '/^## Options/,/^## /p' docs/run.md | grep -o '^| `-[-a-z]*\( [A-Z]*\)\?\(, --[-a-z]*\)\?' |
	grep -o -- '--[-a-z]*' | sort -u >"$TMP/doc-opts"
sed '/^Build context/,$d' "$TMP/help-run" | grep -o -- '^ *\(-[a-z], \)\?--[-a-z]*' | grep -o -- '--[-a-z]*' |
	sort -u >"$TMP/help-opts"
check "docs/run.md lists options" test -s "$TMP/doc-opts"
check "help run lists options" test -s "$TMP/help-opts"
comm -3 "$TMP/doc-opts" "$TMP/help-opts" >"$TMP/opt-diff"
check "docs/run.md and help run name the same options" test ! -s "$TMP/opt-diff"
sed 's/^/#   /' "$TMP/opt-diff"
for o in --pipeline --include --exclude --no-deps --clone; do
	"$PIPEC" help plan | grep -q -- "^ *$o " && "$PIPEC" help graph | grep -q -- "^ *$o " &&
		grep -q -- "^ *$o " "$TMP/help-run"
	check "help run, plan and graph list $o" test $? -eq 0
done
expect_exit 2 "help of an unknown command" "$PIPEC" help frobnicate
expect_exit 2 "unknown option" "$PIPEC" build --frobnicate samples/hello-world.yml
expect_exit 2 "missing input file" "$PIPEC" build "$TMP/missing.yml"
check "a missing file is named with its error" grep -q "missing.yml: error: cannot open" "$TMP/err"

cat >"$TMP/when.yml" <<'YML'
kind: pipeline
type: exec
name: ctx
steps:
- name: always
  commands: [echo hi]
- name: main-only
  commands: [echo main]
  when:
    branch: main
- name: tags-only
  commands: [echo tag]
  when:
    event: tag
YML
produces "pipec FILE -o OUT writes the IR" "$TMP/a.json" "$PIPEC" "$TMP/when.yml" -o "$TMP/a.json"
check "the IR file holds the pipeline" grep -q '"name": "ctx"' "$TMP/a.json"
"$PIPEC" build "$TMP/when.yml" -o - >"$TMP/b.json" 2>/dev/null
check "-o - writes the same IR to stdout" sh -c "[ -s '$TMP/a.json' ] && cmp -s '$TMP/a.json' '$TMP/b.json'"

# With --no-optimize skipped steps stay in the IR, with their reason.
skipped() {
	"$PIPEC" build --no-optimize "$@" "$TMP/when.yml" -o - 2>/dev/null |
		python3 -c 'import json,sys; d=json.load(sys.stdin)
print("skipped:", *(s["name"] for s in d["pipelines"][0]["steps"] if "skip" in s))'
}
check "--branch main keeps main-only" [ "$(skipped --branch=main --event=push)" = "skipped: tags-only" ]
check "--branch dev skips main-only" [ "$(skipped --branch=dev --event=push)" = "skipped: main-only tags-only" ]
check "--event tag keeps tags-only" [ "$(skipped --branch=main --event=tag)" = "skipped:" ]
"$PIPEC" plan --branch=dev --event=push "$TMP/when.yml" >"$TMP/plan" 2>&1
check "plan names the clause that skips a step" grep -q "branch 'dev' does not match when.branch" "$TMP/plan"
"$PIPEC" run --backend=local --branch=dev "$TMP/when.yml" >"$TMP/run" 2>&1
check "run honours --branch" sh -c "! grep -q 'main\$' '$TMP/run' && grep -q 'hi\$' '$TMP/run'"

# pipec never writes IR it refuses: a pipeline whose every step is skipped
# is skipped itself (IR holds no pipeline without steps), and a build that
# skips every pipeline writes nothing.
cat >"$TMP/allskip.yml" <<'YML'
kind: pipeline
type: exec
name: quiet
clone:
  disable: true
steps:
- name: only-tags
  commands: [echo tag]
  when:
    event: tag
---
kind: pipeline
type: exec
name: after
depends_on: [quiet]
clone:
  disable: true
steps:
- name: s
  commands: [echo hi]
YML
produces "a pipeline whose steps are all skipped builds" "$TMP/allskip.json" \
	"$PIPEC" build --branch=main --event=push "$TMP/allskip.yml" -o "$TMP/allskip.json"
check "it is left out, and what depended on it no longer waits for it" python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if [p["name"] for p in d["pipelines"]] == ["after"] and not d["pipelines"][0].get("depends_on") else 1)' "$TMP/allskip.json"
accepts "the IR built from it validates" "$TMP/allskip.json"
"$PIPEC" plan --branch=main --event=push "$TMP/allskip.yml" >"$TMP/plan" 2>&1
check "plan says the pipeline is skipped because every step is" sh -c "
	grep -qx \"skipped pipeline 'quiet': every step is skipped ($TMP/allskip.yml:1:1)\" '$TMP/plan' &&
	grep -q \"^  skipped step 'only-tags': event 'push'\" '$TMP/plan'"
sed -n '1,11p' "$TMP/allskip.yml" >"$TMP/onlyskip.yml"
expect_exit 2 "a build that skips every pipeline fails" \
	"$PIPEC" build --branch=main --event=push "$TMP/onlyskip.yml" -o "$TMP/onlyskip.json"
check "it says why and writes no IR" sh -c "[ ! -e '$TMP/onlyskip.json' ] &&
	grep -q 'onlyskip.yml:1:1: error: every pipeline is skipped in this build: no IR to write \[no-pipelines\]' '$TMP/err'"
printf 'kind: pipeline\nname: t\ntrigger:\n  branch: [release]\nsteps:\n- name: s\n  image: busybox:1.36\n  commands: [x]\n' >"$TMP/trig.yml"
expect_exit 2 "a trigger that rules out the only pipeline builds nothing" \
	"$PIPEC" build --branch=main --event=push "$TMP/trig.yml" -o "$TMP/trig.json"
check "no IR is written for it" sh -c "[ ! -e '$TMP/trig.json' ] && grep -q '\[no-pipelines\]' '$TMP/err'"

cat >"$TMP/host.yml" <<'YML'
kind: pipeline
type: docker
name: host
steps:
- name: s
  image: busybox:1.36
  privileged: true
  commands: [true]
YML
accepts "validate checks structure, not trust" "$TMP/host.yml"
expect_exit 2 "validate --untrusted applies the trust policy" "$PIPEC" validate --untrusted "$TMP/host.yml"
expect_exit 1 "lint applies the trust policy" "$PIPEC" lint "$TMP/host.yml"
produces "lint --trusted allows it" "$TMP/out" "$PIPEC" lint --format=json --trusted "$TMP/host.yml"

# Where a run or a build writes is checked before anything starts: a path
# that cannot be written is a usage error (exit 2) and no step runs.
cat >"$TMP/marks.yml" <<YML
kind: pipeline
type: exec
name: default
clone:
  disable: true
steps:
- name: mark
  commands:
  - touch "$TMP/ran"
YML
mkdir -p "$TMP/outdir" && : >"$TMP/plainfile"
# not_run NAME OPTION PATH: pipec run OPTION PATH exits 2, says so, runs nothing.
not_run() {
	rm -f "$TMP/ran"
	expect_exit 2 "$1: exit 2" "$PIPEC" run "$2" "$3" "$TMP/marks.yml"
	check "$1: the option is named" grep -q -- "$2 .*cannot be written" "$TMP/err"
	check "$1: no step ran" sh -c "[ $got -eq 2 ] && [ ! -e '$TMP/ran' ]"
}
not_run "--report in a missing directory" --report "$TMP/nowhere/run.json"
not_run "--report that is a directory" --report "$TMP/outdir"
not_run "--log-dir that is a file" --log-dir "$TMP/plainfile"
not_run "--log-dir two levels down" --log-dir "$TMP/nowhere/logs"
not_run "--artifacts under a file" --artifacts "$TMP/plainfile/out"
rm -f "$TMP/ran"
produces "--artifacts a few levels down is made" "$TMP/r.json" \
	"$PIPEC" run --artifacts "$TMP/new/deep/dir" --report "$TMP/r.json" "$TMP/marks.yml"
check "--report and --artifacts that can be written: the step ran" test -e "$TMP/ran"
expect_exit 2 "build -o in a missing directory: exit 2" "$PIPEC" build -o "$TMP/nowhere/ir.json" "$TMP/marks.yml"
check "build -o in a missing directory: said" grep -q -- "-o .*cannot be written" "$TMP/err"
expect_exit 2 "build -o a directory: exit 2" "$PIPEC" build -o "$TMP/outdir" "$TMP/marks.yml"
