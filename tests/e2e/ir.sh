#!/bin/sh
# IR v3 end to end: pipec reads IR JSON and writes it back canonically;
# everything pipec writes validates against docs/ir.schema.json; the
# bad and good examples of each docs/rules/ir-*.md page behave as the
# page says, for pipec and for the schema alike.
#
# The schema is checked with python3's jsonschema (Debian package
# python3-jsonschema), a validator pipec shares no code with.
. tests/lib.sh

SCHEMA=docs/ir.schema.json

# schema_check valid|invalid FILE...: every FILE is (in)valid IR per the schema.
schema_check() {
	python3 - "$@" <<'EOF'
import json, sys
import jsonschema

want, files = sys.argv[1], sys.argv[2:]
with open("docs/ir.schema.json") as f:
    schema = json.load(f)
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
bad = 0
for path in files:
    with open(path) as f:
        errors = list(validator.iter_errors(json.load(f)))
    if want == "valid" and errors:
        bad += 1
        for e in errors[:5]:
            print("#   %s: /%s: %s" % (path, "/".join(map(str, e.path)), e.message))
    elif want == "invalid" and not errors:
        bad += 1
        print("#   %s: the schema accepted it" % path)
sys.exit(1 if bad else 0)
EOF
}

# example FILE.md Bad|Good OUT: the JSON block under `## Bad` or `## Good`.
example() {
	awk -v want="## $2" '
		/^## / { in_section = ($0 == want); next }
		in_section && /^```/ { if (fence) exit; fence = 1; next }
		in_section && fence { print }
	' "$1" >"$3"
}

if python3 -c 'import jsonschema' 2>/dev/null; then
	ok "python3 jsonschema is available"
else
	fail "python3 jsonschema is available (apt-get install python3-jsonschema)"
	exit 1
fi

check "the schema is a valid draft 2020-12 schema" schema_check valid

# Golden IR: each tests/golden/ir/CASE.json, read and written back as is
# (--no-optimize), gives CASE.ir.json.  Normal builds also make defaults
# explicit; their output is checked for stability and against the schema.
RAW="build --no-optimize --trusted"
for in in tests/golden/ir/*.json; do
	case $in in *.ir.json) continue ;; esac
	case=$(basename "$in" .json)
	want=${in%.json}.ir.json
	$PIPEC $RAW "$in" -o "$TMP/$case.out" 2>"$TMP/err"
	same_file "golden ir/$case: canonical output matches" "$want" "$TMP/$case.out"
	$PIPEC $RAW "$TMP/$case.out" -o "$TMP/$case.again" 2>>"$TMP/err"
	same_file "golden ir/$case: rewriting the output changes nothing" \
		"$TMP/$case.out" "$TMP/$case.again"
	$PIPEC $RAW --compact "$in" -o "$TMP/$case.compact" 2>>"$TMP/err"
	check "golden ir/$case: --compact is one line" \
		test "$(wc -l <"$TMP/$case.compact")" -eq 1
	$PIPEC $RAW "$TMP/$case.compact" -o "$TMP/$case.uncompact" 2>>"$TMP/err"
	same_file "golden ir/$case: --compact reads back to the same IR" \
		"$TMP/$case.out" "$TMP/$case.uncompact"
	"$PIPEC" --trusted "$in" -o "$TMP/$case.norm.out" 2>>"$TMP/err"
	"$PIPEC" --trusted "$in" -o - >"$TMP/$case.norm.stdout" 2>>"$TMP/err"
	same_file "golden ir/$case: a normal build is byte-identical across runs" \
		"$TMP/$case.norm.out" "$TMP/$case.norm.stdout"
	"$PIPEC" --trusted "$TMP/$case.norm.out" -o "$TMP/$case.norm.again" 2>>"$TMP/err"
	same_file "golden ir/$case: a normal build of its own output changes nothing" \
		"$TMP/$case.norm.out" "$TMP/$case.norm.again"
	accepts "golden ir/$case: pipec validate accepts it" --trusted "$in"
done

# docs/ir.md's example is what it claims: canonical IR v3, as pipec writes it.
awk '/^## Example/ { on = 1; next }
     on && /^```json/ { inblock = 1; next }
     on && inblock && /^```/ { exit }
     on && inblock { print }' docs/ir.md >"$TMP/example.json"
$PIPEC $RAW "$TMP/example.json" -o "$TMP/example.out" 2>"$TMP/err"
same_file "docs/ir.md: the example is canonical IR" "$TMP/example.json" "$TMP/example.out"
check "docs/ir.md: the example validates against the schema" \
	schema_check valid "$TMP/example.json"

# Every IR the tests expect pipec to write, whatever its source dialect.
goldens=$(find tests/golden -name '*.ir.json' | sort)
if [ -n "$goldens" ]; then
	# shellcheck disable=SC2086
	check "every golden *.ir.json validates against the schema" schema_check valid $goldens
fi
check "every IR written in this test validates against the schema" \
	schema_check valid "$TMP"/*.out "$TMP"/*.compact

# The schema, the reader and docs/ir.md describe the same keys: the full
# golden document, which the reader accepts, uses every key the schema
# defines, and docs/ir.md has a table row for each, under its object.
schema_coverage() {
	python3 - "$1" <<'EOF'
import json, re, sys

schema = json.load(open("docs/ir.schema.json"))
defs = schema["$defs"]
seen = set()

def walk(node, sch, where):
    if "$ref" in sch:
        where = sch["$ref"].split("/")[-1]
        sch = defs[where]
    if isinstance(node, dict) and "properties" in sch:
        for k, v in node.items():
            seen.add((where, k))
            walk(v, sch["properties"][k], where)
    elif isinstance(node, list) and "items" in sch:
        for v in node:
            walk(v, sch["items"], where)

walk(json.load(open(sys.argv[1])), schema, "document")
keys = {("document", k) for k in schema["properties"]}
keys |= {(d, k) for d, s in defs.items() for k in s.get("properties", {})}

documented, section = set(), None
headings = {"secret reference": "secret_ref", "file mount": "file_mount"}
for line in open("docs/ir.md"):
    m = re.match(r"#{2,3} (.*)", line)
    if m:
        title = m.group(1).strip().lower()
        section = headings.get(title, title)
    m = re.match(r"\| `([a-z_]+)` \|", line)
    if m and section:
        documented.add((section, m.group(1)))

bad = 0
for d, k in sorted(keys - seen):
    print("#   %s.%s: never used by %s" % (d, k, sys.argv[1])); bad = 1
for d, k in sorted(keys ^ documented):
    print("#   %s.%s: %s" % (d, k, "not in docs/ir.md" if (d, k) in keys
                             else "documented but not in the schema")); bad = 1
sys.exit(bad)
EOF
}
# The reader reads the full document and writes it back whole.
"$PIPEC" build --trusted --no-optimize tests/golden/ir/full.ir.json -o "$TMP/full.json" 2>"$TMP/coverage"
if [ -s "$TMP/full.json" ] && schema_coverage "$TMP/full.json" >"$TMP/coverage" 2>&1; then
	ok "schema, reader and docs/ir.md agree on every key"
else
	fail "schema, reader and docs/ir.md agree on every key"; cat "$TMP/coverage"
fi

# Every integer bound and enum value of the schema, tried on the reader:
# one past a bound is refused by both, the bound itself and every enum
# value pass the reader (later stages may still object to the meaning).
python3 - tests/golden/ir/full.ir.json "$TMP" >"$TMP/cases" <<'EOF'
import copy, json, sys

schema = json.load(open("docs/ir.schema.json"))
defs = schema["$defs"]
base = json.load(open(sys.argv[1]))
out = sys.argv[2]
n = 0

def paths(node, sch, path):
    """Yields (path, schema) for every scalar in the document."""
    if "$ref" in sch:
        sch = defs[sch["$ref"].split("/")[-1]]
    if isinstance(node, dict):
        for k, v in node.items():
            if "properties" in sch:
                yield from paths(v, sch["properties"][k], path + [k])
    elif isinstance(node, list) and "items" in sch:
        for i, v in enumerate(node):
            yield from paths(v, sch["items"], path + [i])
    else:
        yield path, sch

def emit(path, value, want):
    global n
    doc = copy.deepcopy(base)
    at = doc
    for p in path[:-1]:
        at = at[p]
    at[path[-1]] = value
    name = "%s/bound-%d.json" % (out, n)
    n += 1
    json.dump(doc, open(name, "w"))
    print(name, want, "/" + "/".join(map(str, path)), json.dumps(value))

for path, sch in paths(base, schema, []):
    if path == ["version"]:
        continue
    if sch.get("type") == "integer":
        emit(path, sch["minimum"] - 1, "ir-range")
        emit(path, sch["maximum"] + 1, "ir-range")
        emit(path, sch["minimum"], "accepted")
        emit(path, sch["maximum"], "accepted")
    for value in sch.get("enum", []):
        emit(path, value, "accepted")
EOF
range_ok=0 range_bad=0
while read -r file want ptr value; do
	"$PIPEC" validate --trusted "$file" >/dev/null 2>"$TMP/err"
	if [ "$want" = accepted ]; then
		if grep -q '\[ir-' "$TMP/err"; then
			range_bad=$((range_bad + 1)); echo "#   $ptr = $value: refused by the reader"
			sed 's/^/#     /' "$TMP/err" | head -3
		else
			range_ok=$((range_ok + 1))
		fi
	elif grep -qF ":$ptr: error: " "$TMP/err" && grep -q "\[$want\]" "$TMP/err"; then
		range_ok=$((range_ok + 1))
		echo "$file" >>"$TMP/refused"
	else
		range_bad=$((range_bad + 1)); echo "#   $ptr = $value: not refused by the reader"
	fi
done <"$TMP/cases"
check "integer bounds and enum values: the reader agrees with the schema ($range_ok cases)" \
	test "$range_bad" -eq 0 -a "$range_ok" -gt 0
check "integer bounds: the schema refuses what the reader refuses" \
	eval '[ -s "$TMP/refused" ] && schema_check invalid $(cat "$TMP/refused")'

# Each reader rule's page: the bad example fails with the rule, the good passes.
for page in docs/rules/ir-*.md; do
	rule=$(basename "$page" .md)
	example "$page" Bad "$TMP/$rule.bad.json"
	example "$page" Good "$TMP/$rule.good.json"
	expect_exit 2 "$rule: the bad example is refused" "$PIPEC" validate "$TMP/$rule.bad.json"
	case $rule in
	# Text that is not JSON cannot be told to be IR rather than
	# drone-runtime IR, so the frontend picks the reader that reports
	# it; tests/unit/ir covers ir_read's own [ir-syntax].
	ir-syntax) check "$rule: the diagnostic has a line and column" \
		grep -q "$rule.bad.json:[0-9]*:[0-9]*: error: " "$TMP/err" ;;
	*) check "$rule: the diagnostic carries [$rule]" grep -q "\[$rule\]" "$TMP/err" ;;
	esac
	accepts "$rule: the good example passes" "$TMP/$rule.good.json"
	check "$rule: the schema accepts the good example" schema_check valid "$TMP/$rule.good.json"
	case $rule in
	ir-syntax | ir-duplicate-key) ;; # not JSON, or invisible once parsed
	*) check "$rule: the schema refuses the bad example" \
		schema_check invalid "$TMP/$rule.bad.json" ;;
	esac
done

# A malformed document: every error, each at its pointer, exit 2.
cat >"$TMP/broken.json" <<'EOF'
{
  "version": 1,
  "pipelines": [
    {
      "name": "default",
      "type": "dokcer",
      "steps": [
        {"name": "a", "imgae": "alpine", "timeout": -1},
        {"image": 3, "pull": "alway", "ports": [{"port": 70000}]}
      ]
    }
  ]
}
EOF
expect_exit 2 "a malformed IR exits 2" "$PIPEC" "$TMP/broken.json" -o "$TMP/broken.out"
for want in \
	"broken.json:/pipelines/0/type: error: unknown value 'dokcer'; did you mean 'docker'? [ir-enum]" \
	"broken.json:/pipelines/0/steps/0/imgae: error: unknown key 'imgae'; did you mean 'image'? [ir-unknown-key]" \
	"broken.json:/pipelines/0/steps/0/timeout: error: -1 is out of range 0..2147483647 [ir-range]" \
	"broken.json:/pipelines/0/steps/1/image: error: expected a string, got a number [ir-type]" \
	"broken.json:/pipelines/0/steps/1/pull: error: unknown value 'alway'; did you mean 'always'? [ir-enum]" \
	"broken.json:/pipelines/0/steps/1/ports/0/port: error: 70000 is out of range 1..65535 [ir-range]" \
	"broken.json:/pipelines/0/steps/1: error: missing required key 'name' [ir-missing-key]"; do
	check "a malformed IR reports: ${want#*error: }" grep -qF "$want" "$TMP/err"
done
check "a malformed IR reports nothing else" test "$(grep -c ' error: ' "$TMP/err")" -eq 7
check "a malformed IR writes no output" sh -c "[ $got -eq 2 ] && [ ! -s '$TMP/broken.out' ]"

printf '{"version": 1,\n  "pipelines": [' >"$TMP/truncated.json"
expect_exit 2 "a truncated IR exits 2" "$PIPEC" "$TMP/truncated.json" -o -
check "a truncated IR is reported with line:col" \
	grep -q "truncated.json:2:[0-9]*: error: " "$TMP/err"

printf '{"version": 4, "pipelines": []}\n' >"$TMP/v4.json"
expect_exit 2 "a future IR version exits 2" "$PIPEC" "$TMP/v4.json" -o -
check "a future IR version names the readable ones" \
	grep -qF "unsupported IR version 4; this pipec reads versions 1 to 3 [ir-version]" "$TMP/err"

# Version 1 is still read, and written as the newest version, which means
# the same; the key version 2 added is refused in a version 1 document.
V1='{"version": 1, "pipelines": [{"name": "p", "type": "local", "steps": [{"name": "s", "script": "true", "environment": {"A": "1"}}]}]}'
printf '%s\n' "$V1" >"$TMP/v1.json"
produces "a version 1 document is read" "$TMP/v1.out" "$PIPEC" build --no-optimize "$TMP/v1.json" -o "$TMP/v1.out"
check "a version 1 document is written as version 3" grep -q '"version": 3' "$TMP/v1.out"
check "a version 1 document keeps its step environment" grep -q '"A": "1"' "$TMP/v1.out"
printf '{"version": 1, "pipelines": [{"name": "p", "type": "local", "environment": {"A": "1"},\n "steps": [{"name": "s"}]}]}\n' >"$TMP/v1env.json"
expect_exit 2 "a pipeline environment in version 1 exits 2" "$PIPEC" build "$TMP/v1env.json" -o -
check "a pipeline environment in version 1 is an unknown key at its pointer" \
	grep -qF "v1env.json:/pipelines/0/environment: error: unknown key 'environment' in IR version 1; it needs version 2 [ir-unknown-key]" "$TMP/err"
printf '{"version": 2, "pipelines": [{"name": "p", "type": "docker",\n "steps": [{"name": "db", "image": "postgres:16", "aliases": ["database"]}]}]}\n' >"$TMP/v2alias.json"
expect_exit 2 "step aliases in version 2 exit 2" "$PIPEC" build "$TMP/v2alias.json" -o -
check "step aliases in version 2 are an unknown key at their pointer" \
	grep -qF "v2alias.json:/pipelines/0/steps/0/aliases: error: unknown key 'aliases' in IR version 2; it needs version 3 [ir-unknown-key]" "$TMP/err"
printf '{"version": 3, "pipelines": [{"name": "p", "type": "docker",\n "steps": [{"name": "db", "image": "postgres:16", "aliases": ["database"]}]}]}\n' >"$TMP/v3alias.json"
produces "step aliases in version 3 are read" "$TMP/v3alias.out" "$PIPEC" build --no-optimize "$TMP/v3alias.json" -o "$TMP/v3alias.out"
check "step aliases are written back" grep -q '"database"' "$TMP/v3alias.out"

# Artifacts are checked by the validator, so IR JSON gets the findings
# the same mistakes get in YAML, at the same rule ids: an import nothing
# exports, an import from a step that does not run before, an export
# name given twice, a name climbing out with '..'.  IR findings are at
# the step (IR artifacts carry no position), YAML's at the artifact.
cat >"$TMP/arts.yml" <<'YML'
kind: pipeline
type: docker
name: arts
clone:
  disable: true
steps:
- name: build
  image: busybox:1.36
  exports: [dist, ../up]
  commands: [make]
- name: early
  image: busybox:1.36
  imports: [dist]
  commands: [ls dist]
- name: test
  image: busybox:1.36
  depends_on: [build]
  exports: [dist]
  imports: [dsit]
  commands: [make test]
YML
cat >"$TMP/arts.json" <<'JSON'
{"version": 3, "pipelines": [{"name": "arts", "type": "docker", "steps": [
 {"name": "build", "image": "busybox:1.36", "script": "make\n",
  "exports": [{"name": "dist", "path": "dist"}, {"name": "../up", "path": "../up"}]},
 {"name": "early", "image": "busybox:1.36", "script": "ls dist\n",
  "imports": [{"name": "dist", "path": "dist"}]},
 {"name": "test", "image": "busybox:1.36", "script": "make test\n", "depends_on": ["build"],
  "exports": [{"name": "dist", "path": "dist"}], "imports": [{"name": "dsit", "path": "dsit"}]}]}]}
JSON
for in in arts.yml arts.json; do
	expect_exit 2 "artifacts: validate refuses $in" "$PIPEC" validate "$TMP/$in"
	"$PIPEC" lint --format=json "$TMP/$in" >"$TMP/$in.lint" 2>"$TMP/err"
	python3 -c 'import json, re, sys
for d in json.load(open(sys.argv[1])):
    if "artifact" in d["rule"] or "artifact" in d["message"]:
        print(d["rule"], re.sub(r" at line \d+", "", d["message"]))' \
		"$TMP/$in.lint" | sort >"$TMP/$in.found"
done
check "artifacts: YAML gets the four findings" test "$(wc -l <"$TMP/arts.yml.found")" -eq 4
same_file "artifacts: IR gets the same findings as YAML" "$TMP/arts.yml.found" "$TMP/arts.json.found"
for want in "unknown-artifact artifact 'dist' comes from step 'build', which does not run before step 'early'" \
	"unknown-artifact no step exports artifact 'dsit', did you mean 'dist'" \
	"duplicate-artifact duplicate artifact 'dist' (first exported by step 'build')" \
	"invalid-value exports: artifact name '../up' goes up with '..', give it a name"; do
	check "artifacts: IR and YAML report: $want" grep -qxF "$want" "$TMP/arts.json.found"
done
"$PIPEC" validate "$TMP/arts.json" 2>"$TMP/err"
check "artifacts: IR findings are at the importing step" \
	grep -qF "arts.json:/pipelines/0/steps/2: error: no step exports artifact 'dsit'" "$TMP/err"
"$PIPEC" validate "$TMP/arts.yml" 2>"$TMP/err"
check "artifacts: YAML findings are at the import" \
	grep -qF "arts.yml:19:13: error: no step exports artifact 'dsit'" "$TMP/err"

# A step this build rules out exports nothing: an import of its artifact
# is refused at build time, so build never writes IR that validate, which
# no longer sees the removed step, would refuse on reading it back.
cat >"$TMP/gone.yml" <<'YAML'
kind: pipeline
name: gone
clone:
  disable: true
steps:
- name: build
  image: busybox:1.36
  exports: [dist]
  commands: [make]
  when:
    event: [tag]
- name: ship
  image: busybox:1.36
  imports: [dist]
  commands: [ls dist]
YAML
expect_exit 2 "artifacts: an import from a step that never runs is refused" \
	"$PIPEC" build --event=push "$TMP/gone.yml" -o "$TMP/gone.json"
check "artifacts: it names the step that never runs" grep -qF \
	"gone.yml:14:13: error: artifact 'dist' comes from step 'build', which never runs in this build [unknown-artifact]" "$TMP/err"
