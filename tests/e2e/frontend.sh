#!/bin/sh
# The YAML frontend end to end: golden and diagnostic cases, the samples,
# a file with five mistakes, input format detection, and malformed input
# that must never crash (run under SAN=1, a crash or leak fails the case).
. tests/lib.sh

sh tests/golden.sh

for f in samples/*.yml; do
	produces "sample $f compiles" "$TMP/sample.json" "$PIPEC" build --trusted -o "$TMP/sample.json" "$f"
done

# Five different mistakes (one a warning), five diagnostics, exit 2.
cat >"$TMP/five.yml" <<'EOF'
kind: pipeline
name: five
stpes: []
steps:
- name: build
  image: [busybox]
  pull: sometimes
- name: build
  image: busybox:1.36
  detach: maybe
EOF
expect_exit 2 "five mistakes exit 2" "$PIPEC" build "$TMP/five.yml"
cat >"$TMP/five.want" <<EOF
$TMP/five.yml:3:1: warning: unknown key 'stpes' in pipeline, did you mean 'steps' [unknown-key]
$TMP/five.yml:6:10: error: image: expected a string, got a sequence [wrong-type]
$TMP/five.yml:7:9: error: pull: expected always, if-not-exists, never or default, got 'sometimes' [invalid-value]
$TMP/five.yml:8:3: error: step name 'build' is used more than once in pipeline 'five' (first at line 5) [duplicate-step-name]
$TMP/five.yml:10:11: error: detach: expected true or false, got a string [wrong-type]
EOF
check "five mistakes give five diagnostics" cmp -s "$TMP/five.want" "$TMP/err"

# The same file compiles to the same bytes twice.
"$PIPEC" build --trusted samples/multi-pipeline.yml >"$TMP/a.json" 2>/dev/null
"$PIPEC" build --trusted samples/multi-pipeline.yml >"$TMP/b.json" 2>/dev/null
check "output is deterministic" sh -c "[ -s '$TMP/a.json' ] && cmp -s '$TMP/a.json' '$TMP/b.json'"

# IR JSON (even after a byte order mark and blank lines) is read as IR.
{ printf '\357\273\277\n  '; cat "$TMP/a.json"; } >"$TMP/bom.json"
"$PIPEC" build --trusted "$TMP/bom.json" >"$TMP/c.json" 2>"$TMP/err"
check "IR JSON input round-trips" sh -c "[ -s '$TMP/a.json' ] && cmp -s '$TMP/a.json' '$TMP/c.json'"

# Malformed input: every case must end with a diagnostic, never a crash.
# handled ARGS...: pipec build ARGS wrote IR and exited 0, or said why
# not and exited 2 (errors in $TMP/err, status in $rc).
handled() {
	"$PIPEC" build "$@" >"$TMP/handled.json" 2>"$TMP/err"
	rc=$?
	{ [ "$rc" -eq 0 ] && [ -s "$TMP/handled.json" ]; } || { [ "$rc" -eq 2 ] && [ -s "$TMP/err" ]; }
}
survives() {
	name=$1 file=$2
	if handled "$file" && { [ "$rc" -eq 0 ] || grep -q ' \[[a-z0-9-]*\]$' "$TMP/err"; }; then
		ok "$name"
	else
		fail "$name (exit $rc)"; head -5 "$TMP/err" | sed 's/^/#   /'
	fi
}

src=tests/golden/drone/step-keys.yml
size=$(wc -c <"$src")
n=0 cut=1
while [ "$cut" -lt "$size" ]; do
	head -c "$cut" "$src" >"$TMP/trunc$n.yml"
	n=$((n + 1)) cut=$((cut + 37))
done
bad=0
for f in "$TMP"/trunc*.yml; do
	handled "$f" || { bad=1; echo "#   $f: exit $rc"; }
done
check "truncated inputs never crash ($n prefixes)" [ "$bad" -eq 0 ]

awk 'BEGIN { for (i = 0; i < 5000; i++) printf "["; print "" }' >"$TMP/deep.yml"
survives "deep flow nesting" "$TMP/deep.yml"
awk 'BEGIN { for (i = 0; i < 3000; i++) { for (j = 0; j < i; j++) printf " "; print "- a:" } }' >"$TMP/deepblock.yml"
survives "deep block nesting" "$TMP/deepblock.yml"
printf 'kind: pipeline\nsteps:\n- name: \300\200\n  image: \355\240\200\n' >"$TMP/utf8.yml"
survives "invalid utf-8" "$TMP/utf8.yml"
awk 'BEGIN { print "a: &a [x, x, x, x, x, x, x, x, x, x]";
	for (i = 1; i < 30; i++) { printf "a%d: &a%d [", i, i;
		for (j = 0; j < 10; j++) printf "%s*a%s", (j ? ", " : ""), (i > 1 ? i - 1 : "");
		print "]" } }' >"$TMP/laughs.yml"
survives "billion laughs" "$TMP/laughs.yml"
check "billion laughs hits the alias ceiling" grep -q "alias-limit" "$TMP/err"
printf 'kind: pipeline\nsteps:\n- <<: [*x, *y]\n' >"$TMP/alias.yml"
survives "unknown aliases" "$TMP/alias.yml"
printf 'kind: pipeline\nsteps: &s\n- name: a\n  image: b\n  commands: *s\n' >"$TMP/self.yml"
survives "self-referencing alias" "$TMP/self.yml"
printf '\0\0\0kind: pipeline\n' >"$TMP/nul.yml"
survives "NUL bytes" "$TMP/nul.yml"
printf 'kind: [pipeline]\n---\n- 1\n---\nplain\n---\n{kind: pipeline, steps: [1, [2], {name: {}}]}\n' >"$TMP/shapes.yml"
survives "wrong shapes everywhere" "$TMP/shapes.yml"
awk 'BEGIN { print "kind: pipeline"; print "steps:"; print "- name: big"; print "  image: busybox:1.36";
	print "  environment:"; for (i = 0; i < 20000; i++) printf "    V%d: x\n", i }' >"$TMP/wide.yml"
survives "a map with 20000 keys" "$TMP/wide.yml"
awk 'BEGIN { for (i = 0; i < 1200; i++) print "---\nkind: signature" }' >"$TMP/docs.yml"
survives "too many documents" "$TMP/docs.yml"

# A file of a megabyte puts its tree and IR on huge pages (docs/yaml.md,
# "Large files"): every step in the IR, the same IR from a file and a pipe,
# and a mistake and a syntax error at its very end still at their lines.
sh bench/frontend/gen.sh 2000 >"$TMP/large.yml"
lines=$(wc -l <"$TMP/large.yml")
"$PIPEC" build --trusted --branch=main -o "$TMP/large.json" "$TMP/large.yml" 2>"$TMP/err"
check "a large file compiles, every step in the IR" \
	[ "$(grep -c '"name": "step-' "$TMP/large.json")" -eq 2000 ]
cat "$TMP/large.yml" | "$PIPEC" build --trusted --branch=main - 2>"$TMP/err" | sed "s|\"<stdin>\"|\"$TMP/large.yml\"|" >"$TMP/large2.json"
same_file "a large file compiles the same from a pipe" "$TMP/large.json" "$TMP/large2.json"
{ cat "$TMP/large.yml"; printf -- '- name: last\n  image: [busybox]\n'; } >"$TMP/large-bad.yml"
expect_exit 2 "a mistake at the end of a large file exits 2" "$PIPEC" build "$TMP/large-bad.yml"
check "and is reported at its line" \
	grep -q "large-bad.yml:$((lines + 2)):10: error: image: expected a string" "$TMP/err"
{ cat "$TMP/large.yml"; printf -- '- name: [last\n'; } >"$TMP/large-syntax.yml"
expect_exit 2 "a syntax error at the end of a large file exits 2" "$PIPEC" build "$TMP/large-syntax.yml"
check "and is reported past the last step" \
	grep -q "large-syntax.yml:$((lines + 2)):1: error: .*\[yaml-syntax\]" "$TMP/err"

# A large file of many documents gives its text back as they are lowered
# (docs/yaml.md, "Large files"): the same IR as from a pipe, which keeps
# it, and a tab or a bad byte in its last document still at its line.
awk 'BEGIN { for (p = 0; p < 60; p++) { if (p) print "---"; print "kind: pipeline"
	printf "name: p%d\nclone:\n  disable: true\nsteps:\n", p
	for (i = 0; i < 400; i++) printf "- name: s%d\n  image: busybox:1.36\n  commands: [echo %d]\n", i, i } }' \
	>"$TMP/many.yml"
lines=$(wc -l <"$TMP/many.yml")
"$PIPEC" build -o "$TMP/many.json" "$TMP/many.yml" 2>"$TMP/err"
check "a file of many documents compiles, every pipeline in the IR" \
	[ "$(grep -c '"name": "p[0-9]*"' "$TMP/many.json")" -eq 60 ]
"$PIPEC" build - <"$TMP/many.yml" 2>"$TMP/err" | sed "s|\"<stdin>\"|\"$TMP/many.yml\"|" >"$TMP/many2.json"
same_file "and compiles the same from a pipe" "$TMP/many.json" "$TMP/many2.json"
{ cat "$TMP/many.yml"; printf -- '---\nkind: pipeline\nsteps:\n\t- name: x\n'; } >"$TMP/many-tab.yml"
expect_exit 2 "a tab in its last document exits 2" "$PIPEC" build "$TMP/many-tab.yml"
check "and is reported at its line" \
	grep -q "many-tab.yml:$((lines + 4)):1: error: tabs cannot indent YAML" "$TMP/err"
{ cat "$TMP/many.yml"; printf -- '---\nkind: pipeline\nname: \377\n'; } >"$TMP/many-utf.yml"
expect_exit 2 "a bad byte in its last document exits 2" "$PIPEC" build "$TMP/many-utf.yml"
check "and is reported at its line and column" \
	grep -q "many-utf.yml:$((lines + 3)):7: error: .*\[invalid-utf8\]" "$TMP/err"

# A build's memory stays within three times the file's size plus 16 MiB,
# here for 14 MB of small steps, the most IR per byte (bench/memory/run.sh
# measures larger files).  Sanitizers multiply memory: not measured there.
if ldd "$PIPEC_BIN" 2>/dev/null | grep -q 'lib[a-z]*san'; then
	ok "a build's peak memory is within 3x the file plus 16 MiB # SKIP sanitizer build"
else
	awk 'BEGIN { for (p = 0; p < 80; p++) { if (p) print "---"
		printf "kind: pipeline\nname: p%d\nclone:\n  disable: true\nsteps:\n", p
		for (i = 0; i < 2000; i++) {
			printf "- name: s%d\n  image: golang:1.22\n  commands: [go test ./pkg/%d]\n", i, i
			if (i) printf "  depends_on: [s%d]\n", i - 1 } } }' >"$TMP/mem.yml"
	/usr/bin/time -f %M -o "$TMP/rss" "$PIPEC_BIN" build -o "$TMP/mem.json" "$TMP/mem.yml" 2>"$TMP/err"
	size=$(wc -c <"$TMP/mem.yml") rss=$(tail -1 "$TMP/rss")
	echo "# peak RSS ${rss:-?} KiB for $size bytes"
	check "a file of 160,000 steps builds" [ -s "$TMP/mem.json" ]
	check "and its build's peak memory is within 3x the file plus 16 MiB" \
		[ -s "$TMP/mem.json" -a "${rss:-999999999}" -le $((size * 3 / 1024 + 16384)) ]
fi

# The editor schema accepts every sample and golden input and flags a typo.
"$PIPEC" schema "$TMP/schema.json"
if python3 -c 'import yaml, jsonschema' 2>/dev/null; then
	python3 - "$TMP/schema.json" samples/*.yml tests/golden/drone/*.yml <<'PY' >"$TMP/schema.out" 2>&1
import json, sys, yaml, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft7Validator.check_schema(schema)
v = jsonschema.Draft7Validator(schema)
bad = 0
for f in sys.argv[2:]:
    for doc in yaml.safe_load_all(open(f)):
        for e in ([] if doc is None else v.iter_errors(doc)):
            print(f, list(e.path), e.message); bad = 1
typo = yaml.safe_load("kind: pipeline\nstpes: []\nsteps: [{name: a, image: [x]}]\n")
if len(list(v.iter_errors(typo))) != 2:
    print("typo not flagged"); bad = 1
sys.exit(bad)
PY
	check "schema accepts samples, flags mistakes" [ $? -eq 0 ]
	sed 's/^/#   /' "$TMP/schema.out" | head -10
else
	ok "schema accepts samples, flags mistakes # SKIP python3 yaml/jsonschema missing"
fi

# Mutations of complete files: each line dropped in turn, every value
# turned into a broken substitution, a sequence or a map.
bad=0 n=0
for src in tests/golden/drone/step-keys.yml tests/golden/drone/pipeline-keys.yml \
	   tests/golden/drone/secrets.yml tests/golden/drone/healthcheck.yml \
	   tests/golden/drone/artifacts.yml; do
	lines=$(wc -l <"$src")
	i=1
	while [ "$i" -le "$lines" ]; do
		sed "${i}d" "$src" >"$TMP/m$n.yml"
		i=$((i + 1)) n=$((n + 1))
	done
	sed 's/: \([^ ]\)/: ${\1/' "$src" >"$TMP/m$n.yml"; n=$((n + 1))
	sed 's/: \([^ ].*\)$/: [\1]/' "$src" >"$TMP/m$n.yml"; n=$((n + 1))
	sed 's/: \([^ ].*\)$/: {k: \1}/' "$src" >"$TMP/m$n.yml"; n=$((n + 1))
	sed 's/^\( *\)- /\1- - /' "$src" >"$TMP/m$n.yml"; n=$((n + 1))
done
for f in "$TMP"/m*.yml; do
	handled --trusted "$f" || { bad=1; echo "#   $f: exit $rc"; head -3 "$TMP/err"; }
done
check "mutated files never crash ($n mutants)" [ "$bad" -eq 0 ]

# docs/yaml.md documents every key of the key table (read from the schema).
python3 - "$TMP/schema.json" docs/yaml.md <<'PY' >"$TMP/keys.out" 2>&1
import json, sys
schema = json.load(open(sys.argv[1]))
doc = open(sys.argv[2]).read()
missing = [f"{d}.{k}" for d, v in schema["definitions"].items()
           for k in v.get("properties", {}) if f"`{k}`" not in doc and f"{k}," not in doc
           and f"{k}}}" not in doc and f"{{{k}" not in doc]
if missing: print("\n".join(missing))
sys.exit(1 if missing else 0)
PY
check "docs/yaml.md names every key" [ $? -eq 0 ]
sed 's/^/#   /' "$TMP/keys.out" | head -10

# A file over the 64 MiB ceiling is refused before any of it is read: its
# size comes from fstat.  Given as stdin, the shared file offset shows
# how much pipec read.
truncate -s 65M "$TMP/huge.yml"
exec 3<"$TMP/huge.yml"
"$PIPEC" build - <&3 >/dev/null 2>"$TMP/err"
rc=$? pos=$(awk '$1 == "pos:" { print $2 }' /proc/$$/fdinfo/3)
exec 3<&-
check "a file over 64 MiB is refused (exit 2) before a byte of it is read" \
	sh -c "[ $rc = 2 ] && [ '$pos' = 0 ] && grep -q 'larger than 64 MiB \[input-too-large\]' '$TMP/err'"

# A file without a pipeline makes no IR: pipec writes none it would refuse.
: >"$TMP/empty.yml"
expect_exit 2 "an empty file builds nothing (exit 2)" "$PIPEC" build -o "$TMP/empty.json" "$TMP/empty.yml"
check "an empty file is named, no IR is written" \
	sh -c "grep -q 'empty.yml:1:1: error: the file holds no pipeline to build \[no-pipelines\]' '$TMP/err' && [ ! -e '$TMP/empty.json' ]"
printf '# the pipelines are to come\n\n# nothing yet\n' >"$TMP/comments.yml"
expect_exit 2 "a file of comments only builds nothing (exit 2)" "$PIPEC" build -o "$TMP/comments.json" "$TMP/comments.yml"
check "a file of comments only is named, no IR is written" \
	sh -c "grep -q 'comments.yml:1:1: error: the file holds no pipeline to build \[no-pipelines\]' '$TMP/err' && [ ! -e '$TMP/comments.json' ]"
