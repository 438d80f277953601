#!/bin/sh
# tests/mutation.sh - can the e2e suites fail?  Runs them with PIPEC
# replaced by a program that crashes and by one that prints nothing and
# exits 0; a case that still passes does not look at what pipec did.
# The only cases allowed to pass are those that do not involve pipec,
# listed below with why.  Exits 1, naming each case, if any other passes.
#
#   sh tests/mutation.sh [SUITE...]    (default: every non-Docker suite)
B=${B:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/pipec-mutation.XXXXXX")
trap 'rm -rf "$T"' EXIT

# Cases that never run pipec, as "suite: case" (extended regular
# expressions, each matching whole lines), and why.
cat >"$T/allowed" <<'ALLOWED'
rules\.sh: rule [a-z0-9-]+: page
ir\.sh: python3 jsonschema is available
ir\.sh: the schema is a valid draft 2020-12 schema
ir\.sh: docs/ir\.md: the example validates against the schema
ir\.sh: every golden \*\.ir\.json validates against the schema
ir\.sh: ir-[a-z-]+: the schema (accepts the good|refuses the bad) example
strict\.sh: there are warning-only cases
cli\.sh: docs/run\.md lists options
own_ci\.sh: own CI: the copy has the \.drone\.yml
emit_github\.sh: emit github: actionlint (refuses a broken workflow|says where)
ALLOWED
# rules.sh's page cases read docs/rules/; ir.sh's schema cases hold
# docs/ir.schema.json against the golden files and the rule pages;
# strict.sh counts its inputs; cli.sh reads docs/run.md's option table;
# own_ci.sh first clones the tree; emit_github.sh shows actionlint a
# broken workflow written by hand.

printf '#!/bin/sh\nkill -SEGV $$\n' >"$T/crash"
printf '#!/bin/sh\nexit 0\n' >"$T/silent"
chmod +x "$T/crash" "$T/silent"

suites=$*
# The Docker and Kubernetes suites need the test engine; layers.sh
# builds planted copies of the tree and never runs pipec.
[ -n "$suites" ] || suites=$(ls tests/e2e/*.sh | grep -Ev '/(docker_|kube_|layers\.sh)')
bad=0
for m in ${MUTANTS:-crash silent}; do
	for s in $suites; do
		PIPEC=$T/$m B=$B timeout 600 sh "$s" </dev/null 2>/dev/null |
			sed -n 's/^ok - //p' | grep -vi '# skip' |
			sed "s|^|${s##*/}: |" >>"$T/passed.$m"
	done
	n=$(wc -l <"$T/passed.$m")
	grep -vxE -f "$T/allowed" "$T/passed.$m" >"$T/wrong.$m"
	w=$(wc -l <"$T/wrong.$m")
	echo "pipec that is '$m': $n cases pass, $w of them involve pipec"
	sed 's/^/  /' "$T/wrong.$m"
	[ "$w" -eq 0 ] || bad=1
done
exit $bad
