#!/bin/sh
# tests/layers.sh B STAGE=USES... - holds every stage to its walls.
#
# Each argument names a stage and every stage it may use (the GNUmakefile
# computes these from its USES_ table).  Three things are checked:
#   - every project include is spelt with its folder ("ir/internal.h");
#   - every header a stage's file or test reaches, directly or through
#     other headers (the compiler's .d files under B), belongs to the
#     stage itself or to one it may use, and is never another stage's
#     internal.h;
#   - every symbol a stage's archive leaves undefined is defined by the
#     stage, by one it may use, or by no stage at all (a system library).
# Prints each breach with what to do about it and exits 1 if there is one.
B=$1; shift
export LC_ALL=C
bad=$(mktemp) defs=$(mktemp)
trap 'rm -f "$bad" "$defs"' EXIT

# uses STAGE: the stages STAGE may use, one line.
uses() {
	for a in $TABLE; do [ "${a%%=*}" = "$1" ] && echo "${a#*=}"; done
}
TABLE=$(for a in "$@"; do echo "$a" | tr ' ' ','; done)
STAGES=$(for a in $TABLE; do echo "${a%%=*}"; done)

# Includes spelt without their folder.
for s in $STAGES tests/unit; do
	find "$s" -name '*.[ch]' -o -name '*.re' 2>/dev/null
done | xargs grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^/"]*"' 2>/dev/null |
	sed 's/$/: spell the include with its folder ("stage\/name.h")/' >>"$bad"

# Headers: each .d file names the source it describes, then every
# header that source reaches; the owner of a .d file is its folder under
# B (tests/unit/STAGE for a stage's tests; what tests/unit/*.c holds is
# linked into every stage's tests, so it answers to the lowest stage).
find "$B" -name '*.d' ! -path "$B/pic/*" ! -path "$B/san/*" ! -path "$B/npm/*" | sort |
	xargs awk -v B="$B" -v table="$TABLE" '
	BEGIN {
		n = split(table, t, "\n")
		for (i = 1; i <= n; i++) {
			s = t[i]; sub(/=.*/, "", s); u = t[i]; sub(/^[^=]*=/, "", u)
			uses[s] = u; if (i == 1) lowest = s
		}
	}
	FNR == 1 {
		rel = substr(FILENAME, length(B) + 2); tests = 0; owner = ""
		if (rel ~ /^tests\/unit\/[^\/]*\//) { split(rel, p, "/"); owner = p[3]; tests = 1 }
		else if (rel ~ /^tests\/unit\//) { owner = lowest; tests = 1 }
		else { split(rel, p, "/"); owner = p[1] }
		if (!(owner in uses)) owner = ""
		src = ""
	}
	owner == "" { next }
	{
		gsub(/\\$/, "")
		for (i = 1; i <= NF; i++) {
			w = $i
			if (w ~ /:$/ || w ~ /^\//) continue
			if (src == "") { src = w; continue }
			x = w; sub(/\/.*/, "", x)
			if (x == owner) continue
			if (x == "tests") {
				if (!tests) print src ": includes " w ": test code is for tests only"
				continue
			}
			if (index("," uses[owner] ",", "," x ",") == 0) {
				u = uses[owner]; gsub(/,/, " ", u)
				print src ": includes " w ": " owner " may use only: " (u == "" ? "no other stage" : u)
			} else if (w ~ /\/internal\.h$/)
				print src ": includes " w ": " x "/internal.h is " x "'"'"'s own; use its public header"
		}
	}' >>"$bad"

# Symbols: who defines what, then who calls what they may not.
for s in $STAGES; do
	[ -f "$B/lib$s.a" ] || continue
	nm -g --defined-only "$B/lib$s.a" | awk -v s="$s" 'NF == 3 { print $3, s }'
done | sort -u >"$defs"
for s in $STAGES; do
	[ -f "$B/lib$s.a" ] || continue
	allowed=,$(uses "$s"),
	nm -u "$B/lib$s.a" | awk '/:$/ { obj = substr($0, 1, length($0) - 1) } $1 == "U" { print $2, obj }' |
		sort -k1,1 | join - "$defs" | while read -r sym obj owner; do
			case $allowed in *,"$owner",*) continue ;; esac
			[ "$owner" = "$s" ] && continue
			echo "$s/${obj%.o}.c calls $sym, which $owner defines: $s may use only: $(uses "$s" | tr , ' ' | grep . || echo no other stage)"
		done >>"$bad"
done

if [ -s "$bad" ]; then
	sort -u "$bad"
	echo "stages cross their walls: see the USES_ table in GNUmakefile"
	exit 1
fi
echo "stages keep to their walls ($(echo $STAGES | wc -w) stages)"
