# pipec plan shows what pipec run does: every exec sample, and a graph
# with --include, --exclude, --no-deps and --pipeline, is planned and then
# run with --report, and tests/plan_run.py compares the pipelines, the
# steps, their order and which of them overlapped.
. tests/lib.sh

R=$TMP/repo
mkdir -p "$R"
git -C "$R" init -q

# same NAME FILE ARGS...: plan and run FILE with ARGS from the checkout;
# the case passes when both succeed (or fail as a run may) and agree.
same() {
	name=$1 file=$2; shift 2
	(cd "$R" && "$PIPEC_BIN" plan "$@" "$file") >"$TMP/plan" 2>"$TMP/plan.err"
	prc=$?
	(cd "$R" && "$PIPEC_BIN" run --backend=local --report "$TMP/report.json" \
		--secret api_token=t0k3n-value --secret deploy_key=k3y-value "$@" "$file") \
		>"$TMP/out" 2>"$TMP/err"
	rrc=$?
	if [ "$prc" -ne 0 ] || [ "$rrc" -gt 1 ] || [ ! -s "$TMP/plan" ] || [ ! -s "$TMP/report.json" ]; then
		fail "$name (plan exit $prc, run exit $rrc)"
		sed 's/^/#   /' "$TMP/plan.err" "$TMP/err" | head -10
		return
	fi
	check "$name" python3 tests/plan_run.py "$TMP/plan" "$TMP/report.json"
}

for f in samples/*.yml; do
	grep -q '^type: exec' "$f" || continue
	cp "$f" "$R/$(basename "$f")"
	same "plan equals run: $(basename "$f")" "$(basename "$f")" --branch=main
done

cat >"$R/.drone.yml" <<'YML'
kind: pipeline
type: exec
name: ci
steps:
- name: build
  commands: [sleep 0.2]
- name: unit
  depends_on: [build]
  commands: [sleep 0.3]
- name: lint
  depends_on: [build]
  commands: [sleep 0.3]
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
same "plan equals run: a graph" .drone.yml
same "plan equals run: --include" .drone.yml --include unit
same "plan equals run: --include --no-deps" .drone.yml --include unit --no-deps
same "plan equals run: --exclude with a glob" .drone.yml --exclude 'l*'
same "plan equals run: --pipeline" .drone.yml --pipeline docs
same "plan equals run: --clone" .drone.yml --clone --pipeline docs

(cd "$R" && "$PIPEC_BIN" plan --pipeline docs) >"$TMP/plan" 2>"$TMP/err"
check "depends_on: [] is no dependency: the steps run in file order" \
	grep -q "stage 2: check \[after site\]" "$TMP/plan"
check "without FILE, plan says it reads .drone.yml" grep -q "reading .drone.yml" "$TMP/err"

(cd "$R" && "$PIPEC_BIN" plan --include unti) >"$TMP/out" 2>"$TMP/err"
check "an unknown --include is a usage error" [ $? -eq 2 ]
check "and suggests the step meant" grep -q "did you mean 'unit'" "$TMP/err"
(cd "$R" && "$PIPEC_BIN" run --exclude nope) >"$TMP/out" 2>"$TMP/err"
rc=$?
check "an unknown --exclude stops the run before it starts" [ $rc -eq 2 ]
check "and names the option" grep -q -- "--exclude 'nope' matches no step" "$TMP/err"
check "and nothing ran" sh -c "[ $rc -eq 2 ] && [ ! -s '$TMP/out' ]"
(cd "$R" && "$PIPEC_BIN" plan --pipeline doc) >"$TMP/out" 2>"$TMP/err"
check "an unknown --pipeline is a usage error with a suggestion" grep -q "did you mean 'docs'" "$TMP/err"

mv "$R/.drone.yml" "$R/.drone.yaml"
(cd "$R" && "$PIPEC_BIN" build) >"$TMP/out" 2>"$TMP/err"
check "without .drone.yml, .drone.yaml is read" sh -c "[ $? -eq 0 ] && grep -q '\"pipelines\"' '$TMP/out'"
check "and named" grep -q "reading .drone.yaml" "$TMP/err"
rm "$R/.drone.yaml"
for cmd in run plan build lint validate graph; do
	(cd "$R" && "$PIPEC_BIN" $cmd) >"$TMP/out" 2>"$TMP/err"
	check "$cmd without FILE or .drone.yml is a usage error" [ $? -eq 2 ]
done
check "and says what it looked for" grep -q "no .drone.yml or .drone.yaml" "$TMP/err"
