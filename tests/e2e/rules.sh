#!/bin/sh
# Rule ids are public API.  The rule table (ir/rules.c, printed by
# `pipec lint --list-rules`), the pages docs/rules/<id>.md and the ids the
# C sources report (a literal rule argument of diag_error/diag_warning/
# diag_add) agree: each failure names the id and the file to add it to.
# Every page's `## Bad` example, linted, reports its rule while the
# `## Good` example does not.  A page may say
# <!-- no-example --> when no input file can produce its rule (an I/O
# error, a ceiling too large for a page) and <!-- lint-flags: ... --> for
# options the example needs.
. tests/lib.sh

# Rule ids used in the sources: the first string literal shaped like an id
# in each diagnostic call (compound-literal positions and comments removed).
used_ids() {
	perl -0777 -ne '
		s{/\*.*?\*/}{}gs;
		s{\(struct ir_pos\)\s*\{[^{}]*\}}{POS}g;
		while (/\bdiag_(?:error|warning|add)\s*\((?:[^;"]|"(?:[^"\\]|\\.)*")*?"([a-z][a-z0-9]*(?:-[a-z0-9]+)*)"/gs) {
			print "$1\n";
		}' $(ls */*.c */*.re 2>/dev/null | grep -v '^tests/')
}

# fenced SECTION PAGE: the first fenced block after `## SECTION`, and its
# language on the first line.
fenced() {
	awk -v want="## $1" '
		$0 == want { on = 1; next }
		on && /^## / { exit }
		on && /^```/ { if (inblock) exit; inblock = 1; lang = substr($0, 4);
			       print (lang == "" ? "yaml" : lang); next }
		on && inblock { print }' "$2"
}

# reports RULE SECTION PAGE: 0 when linting the section's example reports
# RULE, 1 when it does not, 2 when lint printed no JSON to tell.
reports() {
	fenced "$2" "$3" >"$TMP/block"
	lang=$(head -1 "$TMP/block")
	case $lang in json) ext=json ;; *) ext=yml ;; esac
	tail -n +2 "$TMP/block" >"$TMP/example.$ext"
	flags=$(sed -n 's/.*<!-- lint-flags: \(.*\) -->.*/\1/p' "$3")
	# shellcheck disable=SC2086
	$PIPEC lint --format=json $flags "$TMP/example.$ext" >"$TMP/lint.json" 2>"$TMP/lint.err"
	python3 -c '
import json, sys
try:
    found = {d["rule"] for d in json.load(open(sys.argv[1]))}
except ValueError:
    sys.exit(2)
sys.exit(0 if sys.argv[2] in found else 1)' "$TMP/lint.json" "$1"
}

produces "lint --list-rules prints the rule table" "$TMP/out" $PIPEC lint --list-rules
check "the rule table is not empty" [ -s "$TMP/out" ]
awk '{print $1}' "$TMP/out" | sort >"$TMP/table"
awk '{print $1, $2}' "$TMP/out" | sort >"$TMP/severity"
check "the rule table lists each id once" sh -c "[ -s '$TMP/table' ] && [ -z \"\$(uniq -d '$TMP/table')\" ]"
used_ids | sort -u >"$TMP/used"
for f in docs/rules/*.md; do basename "$f" .md; done | sort -u >"$TMP/pages"
entry='{"%s", DIAG_ERROR, "what it catches"} (its default severity)'
if [ -s "$TMP/table" ]; then
	for id in $(comm -23 "$TMP/used" "$TMP/table"); do
		page=; [ -f "docs/rules/$id.md" ] || page=" and write docs/rules/$id.md"
		fail "rule $id: the sources report it but ir/rules.c does not list it: add $(printf "$entry" "$id") to ir_rules[]$page"
	done
	for id in $(comm -13 "$TMP/table" "$TMP/pages"); do
		fail "rule $id: docs/rules/$id.md has no entry in ir/rules.c: add $(printf "$entry" "$id") to ir_rules[]"
	done
	for id in $(comm -23 "$TMP/table" "$TMP/pages"); do
		fail "rule $id: ir/rules.c lists it but docs/rules/$id.md is missing: write it (title, severity, ## Bad, ## Good)"
	done
fi
sort -u "$TMP/used" "$TMP/table" "$TMP/pages" >"$TMP/all"

# docs/lint-rules.md lists every id of the table once, as a row
# `| [id](rules/id.md) | severity ... |` whose severity cell starts with
# the table's default severity, and the first line of each page after
# its title says the same severity.
sed -n 's/^| \[\([^]]*\)\](rules\/\([^)]*\)\.md) | \([a-z]*\).*/\1 \2 \3/p' docs/lint-rules.md |
	sort >"$TMP/listed"
awk '{print $1}' "$TMP/listed" | uniq -d >"$TMP/twice"
wrong=0
while read -r id sev; do
	row=$(awk -v id="$id" '$1 == id' "$TMP/listed")
	said=$(sed -n 's/^Severity: \([a-z]*\).*/\1/p' "docs/rules/$id.md" 2>/dev/null | head -1)
	if [ "$row" != "$id $id $sev" ]; then
		wrong=1; fail "rule $id: docs/lint-rules.md needs one row '| [$id](rules/$id.md) | $sev | ... |' (has: ${row:-none})"
	elif [ -f "docs/rules/$id.md" ] && [ "$said" != "$sev" ]; then
		wrong=1; fail "rule $id: docs/rules/$id.md says 'Severity: $said.', the table $sev"
	fi
done <"$TMP/severity"
for id in $(awk '{print $1}' "$TMP/listed" | sort -u | comm -23 - "$TMP/table") $(cat "$TMP/twice"); do
	wrong=1; fail "rule $id: docs/lint-rules.md lists it once, and only ids of ir/rules.c"
done
check "docs/lint-rules.md lists every id of the rule table with its severity" \
	sh -c "[ $wrong -eq 0 ] && [ -s '$TMP/severity' ] && [ \$(wc -l <'$TMP/listed') -eq \$(wc -l <'$TMP/severity') ]"

while read -r id; do
	page=docs/rules/$id.md
	# rules passed through a helper show up as a quoted literal somewhere
	if ! grep -qx "$id" "$TMP/used" &&
	   ! grep -qF "\"$id\"" $(ls */*.c */*.re 2>/dev/null | grep -v '^tests/'); then
		fail "rule $id: page names a rule no source reports"; continue
	fi
	if [ ! -f "$page" ]; then
		fail "rule $id: no page docs/rules/$id.md"; continue
	fi
	if [ "$(head -1 "$page")" = "# $id" ] && grep -q '^## Bad' "$page" &&
	   grep -q '^## Good' "$page"; then
		ok "rule $id: page"
	else
		fail "rule $id: page needs a '# $id' title, '## Bad' and '## Good'"
	fi
	grep -q '<!-- no-example -->' "$page" && continue
	if reports "$id" Bad "$page"; then ok "rule $id: bad example reports it"; else
		fail "rule $id: bad example does not report it"; sed 's/^/#   /' "$TMP/lint.json" "$TMP/lint.err" | head -20
	fi
	reports "$id" Good "$page"
	case $? in
	0) fail "rule $id: good example reports it" ;;
	1) ok "rule $id: good example is clean of it" ;;
	*) fail "rule $id: good example: lint printed no JSON"; sed 's/^/#   /' "$TMP/lint.err" | head -20 ;;
	esac
done <"$TMP/all"
