#!/bin/sh
# pipec emit: usage, determinism, and the drone-runtime round trip: every
# pipeline of every sample and golden input, emitted as drone-runtime and
# read back by pipec, is the same IR as the input's (tests/emit_roundtrip.py
# applies the documented mapping), and emitting what was read back gives
# the same text.  Golden outputs per format are checked by tests/golden.sh.
. tests/lib.sh

produces "emit: help" "$TMP/out" "$PIPEC" help emit
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

# A platform's variant and version, which the Kubernetes formats and
# GitHub cannot choose by, are named in a warning that names the format.
printf 'kind: pipeline\ntype: docker\nname: arm\nplatform: {os: linux, arch: arm64, variant: v8}\nsteps:\n- {name: a, image: busybox:1.36, commands: [echo]}\n' >"$TMP/arm.yml"
for fmt in kube argo github; do
	produces "emit $fmt: a platform variant is written" "$TMP/o" "$PIPEC" emit --format=$fmt "$TMP/arm.yml" -o "$TMP/o"
	check "emit $fmt: and its dropping warned, naming the format" grep -qx \
		".*arm.yml:1:1: warning: $fmt: pipeline 'arm' is for linux/arm64 variant 'v8': the $fmt format picks a machine by os and arch alone and drops the rest \[emit-unsupported\]" "$TMP/err"
done

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

# sh: every sample and golden input gives a script shellcheck accepts.  The
# build context is fixed: which pipelines are kept must not depend on the
# checkout's branch.
if command -v shellcheck >/dev/null 2>&1; then
	emit_inputs sh      # every input that compiles; a windows pipeline is refused
	bad=$emit_bad
	for f in "$TMP"/emit-*.out; do
		[ -f "$f" ] || continue
		shellcheck -s sh "$f" >"$TMP/sc" 2>&1 || { bad="$bad $f"; sed 's/^/#   /' "$TMP/sc" | head -10; }
	done
	check "emit sh: shellcheck -s sh accepts every script${bad:+ (not:$bad)}" [ -z "$bad" -a "$emit_n" -gt 20 ]
else
	ok "emit sh: shellcheck # SKIP shellcheck is not installed"
fi

# sh_same NAME FILE: the script of an exec sample, run in a scratch
# directory, gives the step results and exit status of `pipec run`.
sh_same() {
	mkdir -p "$TMP/ws-$1" && cd "$TMP/ws-$1" || return 1
	PIPEC_SAMPLE_TOKEN=sample-token "$PIPEC" run --backend=local "$2" >/dev/null 2>"$TMP/run.err"
	rc1=$?
	"$PIPEC" emit --format=sh "$2" >"$TMP/s.sh" 2>/dev/null
	SECRET_DEPLOY_KEY=sample-key PIPEC_SAMPLE_TOKEN=sample-token sh "$TMP/s.sh" >"$TMP/s.out" 2>&1
	rc2=$?
	cd "$top" || return 1
	[ "$rc1" -eq "$rc2" ] || { echo "#   exit $rc1 (pipec run), $rc2 (script)"; return 1; }
	python3 tests/emit_results.py "$TMP/run.err" "$TMP/s.out"
}
top=$(pwd)
case $PIPEC in /*) ;; *) PIPEC=$top/$PIPEC ;; esac
for f in samples/*.yml; do
	grep -q '^type: exec' "$f" || continue
	grep -q 'from_secret' "$f" && continue     # needs a secret: see below
	n=$(basename "$f" .yml)
	check "emit sh: sample $n runs with the results of pipec run" sh_same "$n" "$top/$f"
done
mkdir -p "$TMP/ws-secrets"
"$PIPEC" emit --format=sh samples/secrets.yml >"$TMP/sec.sh" 2>/dev/null
(cd "$TMP/ws-secrets" && SECRET_DEPLOY_KEY=sample-key PIPEC_SAMPLE_TOKEN=sample-token sh "$TMP/sec.sh") >"$TMP/sec.out" 2>&1
check "emit sh: secrets come from the environment" grep -q '^\[pipec\] step use: success' "$TMP/sec.out"
check "emit sh: no secret value in the script" sh -c "[ -s '$TMP/sec.sh' ] && ! grep -q sample- '$TMP/sec.sh'"
(cd "$TMP/ws-secrets" && PIPEC_SAMPLE_TOKEN=sample-token sh "$TMP/sec.sh") >"$TMP/sec.out" 2>&1
check "emit sh: a missing secret fails the step, naming its variable" grep -q 'export SECRET_DEPLOY_KEY' "$TMP/sec.out"

# Exit code 78 ends the pipeline early, as a success; an interrupt cleans up.
cat >"$TMP/early.yml" <<'YML'
kind: pipeline
type: exec
name: early
clone:
  disable: true
steps:
- name: first
  commands: [exit 78]
- name: second
  commands: [echo never]
YML
check "emit sh: exit code 78 skips the rest and succeeds" sh_same early "$TMP/early.yml"
cat >"$TMP/ignore.yml" <<'YML'
kind: pipeline
type: exec
name: ignore
clone:
  disable: true
steps:
- name: bad
  commands: [exit 3]
  failure: ignore
- name: after
  commands: [echo after]
- name: fails
  commands: [exit 2]
- name: notify
  commands: [echo notify]
  when:
    status: [failure]
YML
check "emit sh: ignored failures and a failing step, as pipec run" sh_same ignore "$TMP/ignore.yml"

cat >"$TMP/long.yml" <<'YML'
kind: pipeline
type: exec
name: long
clone:
  disable: true
steps:
- name: wait
  commands:
  - echo $$ > step.pid
  - sleep 30
YML
mkdir -p "$TMP/ws-long"
"$PIPEC" emit --format=sh "$TMP/long.yml" >"$TMP/long.sh" 2>/dev/null
(cd "$TMP/ws-long" && exec sh "$TMP/long.sh") >/dev/null 2>&1 &
spid=$!
i=0
while [ ! -s "$TMP/ws-long/step.pid" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM "$spid"
wait "$spid"
check "emit sh: TERM stops the script with status 130" [ $? -eq 130 ]
sleep 0.2
check "emit sh: and stops the running step" sh -c "[ -s '$TMP/ws-long/step.pid' ] && ! kill -0 \$(cat '$TMP/ws-long/step.pid') 2>/dev/null"

cat >"$TMP/windows.yml" <<'YML'
kind: pipeline
type: docker
name: default
platform:
  os: windows
steps:
- name: build
  image: busybox:1.36
  commands: [echo building]
YML
expect_exit 1 "emit sh: a windows pipeline is refused" "$PIPEC" emit --format=sh "$TMP/windows.yml"
check "emit sh: at its line, naming the format" grep -q 'windows.yml:1:1: error: sh: .*\[emit-refused\]' "$TMP/err"
check "emit sh: and nothing is written" sh -c "grep -q 'emit-refused' '$TMP/err' && [ ! -s '$TMP/out' ]"
