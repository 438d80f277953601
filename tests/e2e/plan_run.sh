# pipec plan shows what pipec run does: every exec sample, and a graph
# with --include, --exclude, --no-deps and --pipeline, is planned and then
# run with --report, and tests/plan_run.py compares the pipelines, the
# steps, their order and which of them overlapped.
. tests/lib.sh
. tests/plan_run.sh

R=$TMP/repo
mkdir -p "$R"
git -C "$R" init -q

for f in samples/*.yml; do
	grep -q '^type: exec' "$f" || continue
	cp "$f" "$R/$(basename "$f")"
	same "plan equals run: $(basename "$f")" "$(basename "$f")" --branch=main
done

graph_yml >"$R/.drone.yml"
graph_cases .drone.yml

(cd "$R" && "$PIPEC_BIN" plan --pipeline docs) >"$TMP/plan" 2>"$TMP/err"
check "depends_on: [] is no dependency: the steps run in file order" \
	grep -q "stage 2: check \[after site\]" "$TMP/plan"
check "without FILE, plan says it reads .drone.yml" grep -q "reading .drone.yml" "$TMP/err"

# A graph whose one edge goes with a skipped step: the steps left start
# together, in the YAML and in the IR built from it, built once or twice.
cat >"$R/edgeless.yml" <<YML
kind: pipeline
type: exec
name: tail
clone: {disable: true}
steps:
- name: a
  commands: [sleep $PLAN_RUN_PAR]
- name: b
  commands: [sleep $PLAN_RUN_PAR]
- name: pack
  depends_on: [a, b]
  when: {branch: [release]}
  commands: [echo pack]
YML
same "plan equals run: a graph left without edges" edgeless.yml --branch=main
(cd "$R" && "$PIPEC_BIN" build --branch=main edgeless.yml -o edgeless.ir.json &&
	"$PIPEC_BIN" build edgeless.ir.json -o again.ir.json) 2>"$TMP/err"
check "its IR builds again to the same IR" sh -c "[ $? -eq 0 ] && [ -s '$R/edgeless.ir.json' ] &&
	cmp '$R/edgeless.ir.json' '$R/again.ir.json'"
same "plan equals run: its IR, the steps still together" edgeless.ir.json
check "and the plan has them in one stage" grep -qx "  stage 1: a, b" "$TMP/plan"

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
