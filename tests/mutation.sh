#!/bin/sh
# tests/mutation.sh - can the e2e suites fail?  Runs them with PIPEC
# replaced by a program that crashes and by one that prints nothing and
# exits 0; a case that still passes does not look at what pipec did.
# The only cases allowed to pass are those that do not involve pipec,
# listed below with why.  Exits 1, naming each case, if any other passes.
#
#   sh tests/mutation.sh [SUITE...]    (default: every suite that needs
#                                       no engine)
#   MUTATION_ALL=1 sh tests/mutation.sh  (every suite but layers.sh: the
#                                       Docker and Kubernetes ones too)
#
# The Docker and Kubernetes suites (docker_*.sh, kube_*.sh) need an
# engine: when any is run, one is found or started here as they do
# (tests/docker/engine.sh), shared by them all and stopped at exit;
# docker_faults.sh and docker_tls.sh start their own.  They add some
# twenty-five minutes, so the default leaves them out.
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
(docker_emit|docker_samples|kube_emit|kube_samples)\.sh: samples: docker samples found
docker_faults\.sh: dead engine: the engine starts again
docker_own_ci\.sh: own CI on docker: the build image is made from the host's packages
ALLOWED
# rules.sh's page cases read docs/rules/; ir.sh's schema cases hold
# docs/ir.schema.json against the golden files and the rule pages;
# strict.sh counts its inputs; cli.sh reads docs/run.md's option table;
# own_ci.sh first clones the tree; emit_github.sh shows actionlint a
# broken workflow written by hand; the Docker and Kubernetes suites count
# the samples they go on to run, docker_faults.sh restarts the engine it
# killed and docker_own_ci.sh makes its build image.

printf '#!/bin/sh\nkill -SEGV $$\n' >"$T/crash"
printf '#!/bin/sh\nexit 0\n' >"$T/silent"
chmod +x "$T/crash" "$T/silent"

suites=$*
# layers.sh builds planted copies of the tree and never runs pipec.
skip='/layers\.sh'
[ -n "${MUTATION_ALL:-}" ] || skip='/(docker_|kube_|layers\.sh)'
[ -n "$suites" ] || suites=$(ls tests/e2e/*.sh | grep -Ev "$skip")
case $suites in
*docker_* | *kube_*)
	. tests/docker/engine.sh
	trap 'engine_down; rm -rf "$T"' EXIT
	trap 'exit 130' INT TERM
	engine_up || echo "# no engine answers or can be started: the Docker suites will say so"
	;;
esac
bad=0
for m in ${MUTANTS:-crash silent}; do
	for s in $suites; do
		PIPEC=$T/$m B=$B timeout 1200 sh "$s" </dev/null 2>/dev/null |
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
