# tests/plan_run.sh - sourced by the e2e scripts that check that `pipec
# plan` shows what `pipec run` does, on one backend each, after tests/lib.sh.
#
#   PLAN_RUN_BACKEND   the backend runs use (local)
#   PLAN_RUN_ON        said in each case's name after "plan equals run" ("")
#   PLAN_RUN_ARGS      more options for the runs alone (--trusted, secrets)
#   PLAN_RUN_PAR       how long the steps that must overlap sleep (0.3); a
#                      backend slower to start a step needs longer
#
# R is a git checkout plan and run are started from.

PLAN_RUN_BACKEND=${PLAN_RUN_BACKEND:-local}
PLAN_RUN_PAR=${PLAN_RUN_PAR:-0.3}

# same NAME FILE ARGS...: plan and run FILE with ARGS from the checkout;
# the case passes when both succeed (or fail as a run may) and agree
# (tests/plan_run.py).
same() {
	name=$1 file=$2; shift 2
	(cd "$R" && "$PIPEC_BIN" plan "$@" "$file") >"$TMP/plan" 2>"$TMP/plan.err"
	prc=$?
	(cd "$R" && "$PIPEC_BIN" run --backend="$PLAN_RUN_BACKEND" --report "$TMP/report.json" \
		--secret api_token=t0k3n-value --secret deploy_key=k3y-value $PLAN_RUN_ARGS "$@" "$file") \
		>"$TMP/out" 2>"$TMP/err"
	rrc=$?
	if [ "$prc" -ne 0 ] || [ "$rrc" -gt 1 ] || [ ! -s "$TMP/plan" ] || [ ! -s "$TMP/report.json" ]; then
		fail "$name (plan exit $prc, run exit $rrc)"
		sed 's/^/#   /' "$TMP/plan.err" "$TMP/err" | head -10
		return
	fi
	check "$name" python3 tests/plan_run.py "$TMP/plan" "$TMP/report.json"
}

# graph_yml: two exec pipelines, one a graph with two steps that overlap,
# one whose steps run in file order (depends_on: []).
graph_yml() {
	cat <<YML
kind: pipeline
type: exec
name: ci
steps:
- name: build
  commands: [sleep 0.2]
- name: unit
  depends_on: [build]
  commands: [sleep $PLAN_RUN_PAR]
- name: lint
  depends_on: [build]
  commands: [sleep $PLAN_RUN_PAR]
- name: package
  depends_on: [unit, lint]
  commands: [echo package]
---
kind: pipeline
type: exec
name: docs
steps:
- name: site
  depends_on: []
  commands: [echo site]
- name: check
  depends_on: []
  commands: [echo check]
YML
}

# graph_cases FILE: the graph, and what --include, --exclude, --no-deps,
# --pipeline and --clone choose of it, planned and run.
graph_cases() {
	same "plan equals run$PLAN_RUN_ON: a graph" "$1"
	same "plan equals run$PLAN_RUN_ON: --include" "$1" --include unit
	same "plan equals run$PLAN_RUN_ON: --include --no-deps" "$1" --include unit --no-deps
	same "plan equals run$PLAN_RUN_ON: --exclude with a glob" "$1" --exclude 'l*'
	same "plan equals run$PLAN_RUN_ON: --pipeline" "$1" --pipeline docs
	same "plan equals run$PLAN_RUN_ON: --clone" "$1" --clone --pipeline docs
}
