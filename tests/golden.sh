#!/bin/sh
# Golden and diagnostic cases of the YAML frontend.
#
#   tests/golden/<dialect>/<case>.yml   compiled with `pipec build`; the
#                                       output must equal <case>.ir.json
#                                       (with --templates <case>.templates
#                                       when that directory exists)
#   tests/emit/<format>/<sample>.*     samples/<sample>.yml emitted with
#                                       `pipec emit --format=<format>`; the
#                                       output must equal <sample>.<ext> (the
#                                       one other file) and the findings
#                                       <sample>.warnings
#   tests/diag/<rule-id>/<case>.yml     compiled; its diagnostics must be
#                                       exactly the file's `# expect:` lines
#                                       (`# expect: 7:9: error: ... [rule-id]`)
#
# Each case is compiled in a scratch directory holding a fixed git
# checkout (branch main, a fixed commit, origin octo/hello) under an empty
# environment, so the build context and therefore the IR are the same on
# every machine.  The IR is written as lowered (`--no-optimize`: skipped
# steps stay, no defaults are made explicit).  `--update` rewrites the
# .ir.json files instead of comparing them.  Prints `ok - NAME` /
# `not ok - NAME` per case.

update=
[ "$1" = --update ] && update=1
top=$(pwd)
PIPEC=${PIPEC:-./pipec}
case $PIPEC in /*) ;; *) PIPEC=$top/$PIPEC ;; esac
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pipec-golden.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
failed=0

# A checkout made of files only: the context reader never runs git.
mkdir -p "$TMP/work/.git/refs/heads"
echo 'ref: refs/heads/main' >"$TMP/work/.git/HEAD"
echo 0123456789abcdef0123456789abcdef01234567 >"$TMP/work/.git/refs/heads/main"
printf '[remote "origin"]\n\turl = https://git.example.com/octo/hello.git\n' \
	>"$TMP/work/.git/config"

# compile FILE: runs pipec build on a copy of FILE; output in $TMP/out, $TMP/err.
# The templates of a case's `kind: template` documents are in the
# directory <case>.templates beside it, given as --templates templates.
compile() {
	src=$1
	cp "$src" "$TMP/work/case.yml"
	rm -rf "$TMP/work/templates"
	set --
	if [ -d "${src%.yml}.templates" ]; then
		cp -R "${src%.yml}.templates" "$TMP/work/templates"
		set -- --templates templates
	fi
	(cd "$TMP/work" && env -i PATH="$PATH" GIT_CEILING_DIRECTORIES="$TMP" \
		"$PIPEC" build --trusted --no-optimize "$@" case.yml >"$TMP/out" 2>"$TMP/err")
}

golden() {
	yml=$1 want=${1%.yml}.ir.json name=${1#tests/}
	compile "$yml"
	rc=$?
	if [ -n "$update" ] && [ "$rc" -eq 0 ]; then
		cp "$TMP/out" "$want"
	fi
	if [ "$rc" -eq 0 ] && cmp -s "$TMP/out" "$want"; then
		echo "ok - ${name%.yml}"
	else
		echo "not ok - ${name%.yml} (exit $rc)"
		{ cat "$TMP/err"; diff "$want" "$TMP/out" | head -20; } | sed 's/^/#   /'
		failed=1
	fi
}

diagnose() {
	yml=$1 name=${1#tests/} rule=$(basename "$(dirname "$1")")
	compile "$yml"
	rc=$?
	sed -n 's/^# expect: //p' "$yml" >"$TMP/want"
	sed -n 's/^case\.yml:\([0-9]*:[0-9]*: \)/\1/p' "$TMP/err" >"$TMP/got"
	want_rc=0
	grep -q ': error: ' "$TMP/want" && want_rc=2
	if cmp -s "$TMP/want" "$TMP/got" && [ "$rc" -eq "$want_rc" ] &&
	   grep -q "\[$rule\]\$" "$TMP/want"; then
		echo "ok - ${name%.yml}"
	else
		echo "not ok - ${name%.yml} (exit $rc, wanted $want_rc)"
		diff "$TMP/want" "$TMP/got" | sed 's/^/#   /'
		failed=1
	fi
}

# emitted FORMAT EXPECTED: samples/<name>.yml emitted as FORMAT.
emitted() {
	fmt=$1 want=$2 base=${2%.*}
	name=$(basename "$base")
	cp "samples/$name.yml" "$TMP/work/$name.yml"
	(cd "$TMP/work" && env -i PATH="$PATH" GIT_CEILING_DIRECTORIES="$TMP" \
		"$PIPEC" emit --format="$fmt" "$name.yml" >"$TMP/out" 2>"$TMP/err")
	rc=$?
	if [ -n "$update" ] && [ "$rc" -eq 0 ]; then
		cp "$TMP/out" "$want"
		cp "$TMP/err" "$base.warnings"
	fi
	if [ "$rc" -eq 0 ] && cmp -s "$TMP/out" "$want" && cmp -s "$TMP/err" "$base.warnings"; then
		echo "ok - emit $fmt $name"
	else
		echo "not ok - emit $fmt $name (exit $rc)"
		{ diff "$base.warnings" "$TMP/err"; diff "$want" "$TMP/out" | head -20; } | sed 's/^/#   /'
		failed=1
	fi
}

for d in tests/emit/*/; do
	[ -d "$d" ] || continue
	fmt=$(basename "$d")
	for s in samples/*.yml; do
		name=$(basename "$s" .yml)
		want=$(ls "$d$name".* 2>/dev/null | grep -v '\.warnings$' | head -1)
		[ -n "$want" ] || want=$d$name.$(cat "$d.ext")
		emitted "$fmt" "$want"
	done
done

for f in tests/golden/*/*.yml; do
	[ -f "$f" ] && golden "$f"
done
for f in tests/diag/*/*.yml; do
	[ -f "$f" ] && diagnose "$f"
done
exit $failed
