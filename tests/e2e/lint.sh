#!/bin/sh
# pipec lint: formats, exit statuses, all findings in one run, positions
# in the YAML the user wrote (also through IR), trust flags, and SARIF
# output valid against the SARIF 2.1.0 schema.
. tests/lib.sh

head='kind: pipeline
type: docker
name: default
clone:
  disable: true
'
{ printf '%s' "$head"; cat <<'EOF2'; } >"$TMP/clean.yml"
steps:
- name: build
  image: golang:1.22
  commands: [go build ./...]
EOF2
{ printf '%s' "$head"; cat <<'EOF2'; } >"$TMP/warn.yml"
steps:
- name: build
  image: golang
  commands: [go build ./...]
EOF2
# three problems on three lines: line 8 (privileged), 12 (unknown dep), 15 (latest)
{ printf '%s' "$head"; cat <<'EOF2'; } >"$TMP/bad.yml"
steps:
- name: build
  image: golang:1.22
  privileged: true
  commands: [go build ./...]
- name: test
  image: golang:1.22
  depends_on: [biuld]
  commands: [go test ./...]
- name: lint
  image: golangci/golangci-lint:latest
  commands: [golangci-lint run]
EOF2
{ printf '%s' "$head"; cat <<'EOF2'; } >"$TMP/root.yml"
steps:
- name: build
  image: golang:1.22
  user: root
  commands: [go build ./...]
EOF2

# Nothing in the default format, and an empty list (so lint ran) in JSON.
produces "clean file exits 0, an empty list in JSON" "$TMP/out" $PIPEC lint --format=json "$TMP/clean.yml"
check "clean file: no finding" [ "$(cat "$TMP/out")" = "[]" ]
check "clean file prints nothing" sh -c "'$PIPEC' lint '$TMP/clean.yml' >'$TMP/gcc' && [ ! -s '$TMP/gcc' ] &&
	[ \"\$(cat '$TMP/out')\" = '[]' ]"
produces "warnings alone exit 0" "$TMP/out" $PIPEC lint "$TMP/warn.yml"
check "warning in gcc format" grep -q "warn.yml:7:3: warning: .*\[image-latest\]$" "$TMP/out"
expect_exit 1 "--strict makes warnings fail" $PIPEC lint --strict "$TMP/warn.yml"
expect_exit 1 "errors exit 1" $PIPEC lint "$TMP/bad.yml"
check "untrusted privileged at its step" grep -q "bad.yml:7:3: error: .*\[untrusted-privileged\]" "$TMP/out"
check "unknown dependency with suggestion" \
	grep -q "bad.yml:11:3: error: step 'test' depends on unknown step 'biuld' (did you mean 'build'?) \[unknown-dependency\]" "$TMP/out"
check "latest tag warned" grep -q "bad.yml:15:3: warning: .*\[image-latest\]" "$TMP/out"
check "all findings in one run" test "$(wc -l <"$TMP/out")" -eq 3
expect_exit 1 "several files, one run" $PIPEC lint "$TMP/clean.yml" "$TMP/bad.yml" "$TMP/warn.yml"
check "findings of every file" test "$(grep -c . "$TMP/out")" -eq 4
produces "stdin is linted" "$TMP/out" sh -c "$PIPEC lint --stdin-name=ci/.drone.yml - <'$TMP/warn.yml'"
check "stdin findings carry the given name" grep -q "^ci/.drone.yml:7:3: warning: .*\[image-latest\]$" "$TMP/out"
expect_exit 2 "unknown format is a usage error" $PIPEC lint --format=xml "$TMP/clean.yml"
mkdir -p "$TMP/empty"
expect_exit 2 "no file is a usage error" sh -c "cd '$TMP/empty' && '$PIPEC' lint"
mkdir -p "$TMP/adir"
expect_exit 2 "a directory is a usage error, as for build and validate" $PIPEC lint "$TMP/adir"
check "a directory is named as unreadable" grep -q "adir: error: cannot read: .*\[io-error\]" "$TMP/out"
expect_exit 2 "a missing file is a usage error" $PIPEC lint "$TMP/clean.yml" "$TMP/missing.yml"

produces "--trusted allows privileged" "$TMP/out" $PIPEC lint --format=json --trusted "$TMP/clean.yml"
$PIPEC lint --trusted "$TMP/bad.yml" >"$TMP/out" 2>&1
check "--trusted drops the trust finding only" test "$(wc -l <"$TMP/out")" -eq 2
produces "root is a warning" "$TMP/out" $PIPEC lint "$TMP/root.yml"
check "root warning text" grep -q "root.yml:7:3: warning: step 'build' runs as root \[runs-as-root\]" "$TMP/out"
expect_exit 1 "--require-non-root makes root an error" $PIPEC lint --require-non-root "$TMP/root.yml"
expect_exit 1 "--require-non-root rejects an unset user" $PIPEC lint --require-non-root "$TMP/clean.yml"

# IR keeps the YAML positions: findings in an IR file still name bad.yml
sed 's/biuld/build/' "$TMP/bad.yml" >"$TMP/good.yml"
$PIPEC build --trusted --no-optimize "$TMP/good.yml" -o "$TMP/good.json" 2>/dev/null
python3 - "$TMP/good.json" "$TMP/bad2.json" <<'EOF2'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["pipelines"][0]["steps"][1]["depends_on"] = ["nope"]
json.dump(doc, open(sys.argv[2], "w"))
EOF2
expect_exit 1 "IR input is linted" $PIPEC lint "$TMP/bad2.json"
check "IR findings point at the YAML" grep -q "good.yml:11:3: error: step 'test' depends on unknown step 'nope'" "$TMP/out"

$PIPEC lint --format=json "$TMP/bad.yml" >"$TMP/lint.json"
check "json has every field" python3 - "$TMP/lint.json" <<'EOF2'
import json, sys
items = json.load(open(sys.argv[1]))
assert len(items) == 3, items
for d in items:
    assert set(d) >= {"file", "line", "column", "end", "severity", "rule", "message"}, d
    assert d["end"]["line"] >= d["line"]
assert [d["line"] for d in items] == [7, 11, 15], items
assert items[2]["severity"] == "warning" and items[2]["rule"] == "image-latest"
EOF2

$PIPEC lint --format=sarif "$TMP/bad.yml" "$TMP/root.yml" >"$TMP/lint.sarif"
check "sarif lists its rules and results agree" python3 - "$TMP/lint.sarif" <<'EOF2'
import json, sys
log = json.load(open(sys.argv[1]))
run = log["runs"][0]
rules = run["tool"]["driver"]["rules"]
assert len(run["results"]) == 4
for r in run["results"]:
    assert rules[r["ruleIndex"]]["id"] == r["ruleId"], r
assert len({r["id"] for r in rules}) == len(rules) == 4
assert all(r["shortDescription"]["text"] for r in rules if r["id"] != "io-error")
assert {r["id"]: r["defaultConfiguration"]["level"] for r in rules}["runs-as-root"] == "warning"
EOF2
if sh tests/npm-deps.sh; then
	check "sarif validates against the SARIF 2.1.0 schema" python3 - "$TMP/lint.sarif" \
		build/npm/node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json <<'EOF2'
import json, sys, jsonschema
log, schema = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
cls = jsonschema.validators.validator_for(schema)
errors = list(cls(schema).iter_errors(log))
for e in errors[:5]:
    print("#", e.message, list(e.absolute_path))
# the schema accepts an empty object; make sure it really sees our results
assert not errors and log["runs"][0]["results"]
broken = json.loads(json.dumps(log))
broken["runs"][0]["results"][0]["level"] = "fatal"
assert list(cls(schema).iter_errors(broken)), "schema does not check levels"
EOF2
else
	echo "ok - sarif schema validation # SKIP npm registry unreachable"
fi

# Keep going after errors: a misspelt key and a wrong type (the frontend)
# and an unknown dependency (the validator, on what lowered) in one run.
{ printf '%s' "$head"; cat <<'EOF2'; } >"$TMP/mixed.yml"
steps:
- name: test
  image: golang:1.22
  comands: [go test ./...]
- name: build
  image: golang:1.22
  detach: sometimes
  depends_on: [tset]
  commands: [go build ./...]
EOF2
expect_exit 1 "frontend and validator mistakes fail the lint" $PIPEC lint "$TMP/mixed.yml"
check "the misspelt key is found" \
	grep -q "mixed.yml:9:3: warning: unknown key 'comands' in step, did you mean 'commands' \[unknown-key\]" "$TMP/out"
check "the wrong type is found" grep -q "mixed.yml:12:11: error: .*\[wrong-type\]" "$TMP/out"
check "the unknown dependency is found after the frontend's errors" \
	grep -q "mixed.yml:10:3: error: step 'build' depends on unknown step 'tset' (did you mean 'test'?) \[unknown-dependency\]" "$TMP/out"
check "three findings, no more" test "$(wc -l <"$TMP/out")" -eq 3
expect_exit 2 "build reports both kinds too" $PIPEC build "$TMP/mixed.yml"
check "build names the unknown dependency" grep -q "\[unknown-dependency\]" "$TMP/err"

# Drone's trust rules: dns, dns_search and extra_hosts need --trusted.
{ printf '%s' "$head"; cat <<'EOF2'; } >"$TMP/names.yml"
steps:
- name: fetch
  image: alpine:3.19
  dns: [10.0.0.2]
  extra_hosts: ["mirror.local:10.0.0.5"]
  commands: [wget -q http://mirror.local/]
EOF2
expect_exit 1 "dns and extra_hosts fail an untrusted lint" $PIPEC lint "$TMP/names.yml"
check "dns needs --trusted" grep -q "names.yml:7:3: error: untrusted repositories cannot configure dns (step 'fetch') \[untrusted-dns\]" "$TMP/out"
check "extra_hosts need --trusted" grep -q "names.yml:7:3: error: .*\[untrusted-extra-hosts\]" "$TMP/out"
produces "dns and extra_hosts pass a trusted lint" "$TMP/out" $PIPEC lint --format=json --trusted "$TMP/names.yml"

# An image reference the Docker backend would refuse is refused by lint,
# validate and run alike, with the same line: one parser reads it.
{ printf '%s' "$head"; cat <<'EOF2'; } >"$TMP/image.yml"
steps:
- name: build
  image: "UPPER/Case:x"
  commands: [true]
EOF2
refused="image.yml:7:3: error: image 'UPPER/Case:x' of step 'build' is not valid: repository name must be lowercase alphanumerics [image-invalid]"
expect_exit 1 "lint refuses an image run would refuse" $PIPEC lint "$TMP/image.yml"
check "lint names the image rule" grep -qF "$refused" "$TMP/out"
expect_exit 2 "validate refuses it" $PIPEC validate "$TMP/image.yml"
check "validate says the same" grep -qF "$refused" "$TMP/err"
expect_exit 2 "run refuses it before any engine is asked" $PIPEC run "$TMP/image.yml"
check "run says the same" grep -qF "$refused" "$TMP/err"
check "run starts no step" sh -c '[ "$1" -eq 2 ] && ! grep -q "build" "$2"' sh "$got" "$TMP/out"

# Drone's vm runner runs a step's image on the machine it makes, so a
# plugin step there (image and settings, no commands) is valid as Drone
# takes it; only running it here is refused, by the local backend.  A
# step with neither image nor commands still runs nothing.
cat >"$TMP/vm.yml" <<'EOF2'
kind: pipeline
type: vm
name: arm
pool:
  use: ubuntu_arm64
clone:
  disable: true
steps:
- name: build
  image: golang:1.22
  commands: [go build ./...]
- name: publish
  image: plugins/github-release:1
  settings:
    files: dist/*
EOF2
accepts "a vm pipeline's plugin step is valid" "$TMP/vm.yml"
produces "lint passes a vm pipeline's plugin step" "$TMP/out" $PIPEC lint --format=json "$TMP/vm.yml"
check "no missing-command for an image the vm runs" sh -c '[ -s "$1" ] && ! grep -q missing-command "$1"' sh "$TMP/out"
expect_exit 2 "run refuses the plugin step on the local backend" $PIPEC run "$TMP/vm.yml"
check "run names the image it cannot run" \
	grep -qF "vm.yml:12:3: error: step 'publish' has no commands and needs image 'plugins/github-release:1'" "$TMP/err"
printf -- '- name: empty\n  environment: {A: b}\n' >>"$TMP/vm.yml"
expect_exit 1 "a vm step with neither image nor commands still fails lint" $PIPEC lint "$TMP/vm.yml"
check "at that step" grep -q "vm.yml:16:3: error: local step 'empty' has neither commands nor a command to run \[missing-command\]" "$TMP/out"
