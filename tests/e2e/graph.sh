#!/bin/sh
# pipec graph and pipec plan show the normalized step graph without
# running anything; pipec build writes the normalized IR unless
# --no-optimize.
. tests/lib.sh

cat >"$TMP/p.yml" <<'EOF2'
kind: pipeline
type: docker
name: default
clone:
  disable: true

services:
- name: redis
  image: redis:7

steps:
- name: build
  image: golang:1.22
  commands: [go build ./...]
- name: deploy
  image: alpine:3.20
  commands: [./deploy]
  when:
    branch: [release]
- name: test
  image: golang:1.22
  commands: [go test ./...]
- name: notify
  image: alpine:3.20
  commands: [./notify]
  when:
    status: [failure]
EOF2

produces "plan runs" "$TMP/out" $PIPEC plan --branch=main "$TMP/p.yml"
cp "$TMP/out" "$TMP/plan"
sed 's/^/#   /' "$TMP/plan"
check "plan: header" grep -qx "pipeline 'default' (docker, linux/amd64)" "$TMP/plan"
check "plan: service and first step in parallel" \
	grep -qx "  stage 1: redis (service), build" "$TMP/plan"
check "plan: skipped step rewired" grep -qx "  stage 2: test \[after build\]" "$TMP/plan"
check "plan: failure step last" \
	grep -qx "  stage 3: notify (runs on failure) \[after test\]" "$TMP/plan"
check "plan: why deploy is skipped, and where" \
	grep -q "^  skipped step 'deploy': .*release.* ($TMP/p.yml:19:5)$" "$TMP/plan"
produces "plan on the release branch" "$TMP/out" $PIPEC plan --branch=release "$TMP/p.yml"
check "plan: deploy runs on release" grep -q "deploy \[after build\]" "$TMP/out"
mkdir -p "$TMP/empty"
expect_exit 2 "plan needs one file" sh -c "cd '$TMP/empty' && '$PIPEC' plan"

produces "graph: dot" "$TMP/out" $PIPEC graph "$TMP/p.yml"
cp "$TMP/out" "$TMP/dot"
check "dot: a digraph" grep -q '^digraph pipec {$' "$TMP/dot"
check "dot: service marked" grep -q 'label="redis", shape=box, style=rounded, peripheries=2' "$TMP/dot"
check "dot: build, deploy, test in order" grep -q 'p0s1 -> p0s2;' "$TMP/dot"
check "dot: no redundant edge" test "$(grep -c -- '->' "$TMP/dot")" -eq 3
if command -v dot >/dev/null 2>&1; then
	check "dot: graphviz reads it" sh -c "[ -s '$TMP/dot' ] && dot -Tsvg -o /dev/null '$TMP/dot'"
fi
produces "graph: mermaid" "$TMP/out" $PIPEC graph --format=mermaid "$TMP/p.yml"
check "mermaid: flowchart" grep -q '^flowchart LR$' "$TMP/out"
check "mermaid: service rounded" grep -q 'p0s0(\["redis"\])' "$TMP/out"
expect_exit 2 "graph: unknown format" $PIPEC graph --format=svg "$TMP/p.yml"

# with no branch known, nothing is ruled out; a failing `when` is the only skip
sed 's/branch: \[release\]/event: [tag]/' "$TMP/p.yml" >"$TMP/q.yml"
produces "graph: skipped steps greyed" "$TMP/out" $PIPEC graph --format=mermaid "$TMP/q.yml"
check "mermaid: deploy greyed" grep -q 'p0s2\["deploy"\]:::skipped' "$TMP/out"

$PIPEC build "$TMP/q.yml" -o "$TMP/opt.json" 2>/dev/null
$PIPEC build --no-optimize "$TMP/q.yml" -o "$TMP/raw.json" 2>/dev/null
check "build drops the skipped step and makes edges explicit" python3 - "$TMP/opt.json" "$TMP/raw.json" <<'EOF2'
import json, sys
opt, raw = (json.load(open(f))["pipelines"][0]["steps"] for f in sys.argv[1:])
names = [s["name"] for s in opt]
assert names == ["redis", "build", "test", "notify"], names
assert "deploy" in [s["name"] for s in raw]
deps = {s["name"]: s.get("depends_on", []) for s in opt}
assert deps == {"redis": [], "build": [], "test": ["build"], "notify": ["test"]}, deps
assert not any(s.get("depends_on") for s in raw)
EOF2

# Every sample and golden input: the optimized IR keeps exactly the steps
# that are not skipped, and orders them exactly as the lowered IR does
# (checked here by an independent reading of the implicit order).
cat >"$TMP/order.py" <<'EOF2'
import json, sys

def closure(steps):
    names = [s["name"] for s in steps]
    implicit = not any(s.get("depends_on") for s in steps)
    deps, prev = {}, None
    for s in steps:
        if implicit:
            deps[s["name"]] = [prev] if prev else []
            if not s.get("detach"):
                prev = s["name"]
        else:
            deps[s["name"]] = [d for d in s.get("depends_on", []) if d in names]
    after = {n: set() for n in names}
    for n in names:            # names are few: iterate to a fixed point
        todo = list(deps[n])
        while todo:
            d = todo.pop()
            if d not in after[n]:
                after[n].add(d)
                todo.extend(deps[d])
    return after

def skipped(x):
    return "skip" in x or x.get("run_policy") == "never"

raw, opt = (json.load(open(f))["pipelines"] for f in sys.argv[1:3])
kept = [p for p in raw if not skipped(p)]
assert [p["name"] for p in kept] == sorted((p["name"] for p in opt),
        key=[p["name"] for p in kept].index), "pipelines differ"
for p in kept:
    q = next(x for x in opt if x["name"] == p["name"])
    live = [s["name"] for s in p["steps"] if not skipped(s)]
    assert sorted(live) == sorted(s["name"] for s in q["steps"]), (p["name"], live)
    before, now = closure(p["steps"]), closure(q["steps"])
    pos = {s["name"]: i for i, s in enumerate(q["steps"])}
    for a in live:
        assert before[a] & set(live) == now[a], (p["name"], a, before[a], now[a])
        assert all(pos[d] < pos[a] for d in now[a]), (p["name"], a, "not topological")
EOF2
# One build context for every input, whatever branch the checkout is on:
# a trigger on refs/heads/main must not remove a pipeline on a branch.
ctx="--branch=main --ref=refs/heads/main --event=push"
n=0
for f in samples/*.yml tests/golden/drone/*.yml bench/lint/pipeline.yml; do
	[ -f "$f" ] || continue
	$PIPEC build --trusted $ctx --no-optimize "$f" -o "$TMP/raw.json" 2>/dev/null && [ -s "$TMP/raw.json" ] || continue
	rm -f "$TMP/opt.json"
	$PIPEC build --trusted $ctx "$f" -o "$TMP/opt.json" 2>/dev/null
	n=$((n + 1))
	check "normalized $f keeps steps and order" python3 "$TMP/order.py" "$TMP/raw.json" "$TMP/opt.json"
	check "normalized $f is valid" sh -c '[ -s "$2" ] && "$1" validate --trusted "$2"' - "$PIPEC" "$TMP/opt.json"
done
check "some inputs were normalized" test "$n" -gt 5
