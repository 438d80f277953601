# tests/docker/lib.sh - what the Docker e2e scripts share, sourced after
# tests/lib.sh: an engine (started privately when none answers, stopped at
# exit), the offline images, and the leak check every case ends with.

. tests/docker/engine.sh
. tests/docker/images.sh

trap 'engine_down; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

# docker_setup: engine and images, or one failing case and exit.
docker_setup() {
	if ! engine_up; then
		fail "docker: an engine answers or can be started"
		exit 1
	fi
	if ! images_build; then
		fail "docker: test images build"
		exit 1
	fi
}

# labelled KIND: names of KIND (container, network, volume) carrying pipec.run.
labelled() {
	case $1 in
	container) docker ps -a --filter label=pipec.run --format '{{.Names}}' ;;
	network) docker network ls --filter label=pipec.run --format '{{.Name}}' ;;
	volume) docker volume ls --filter label=pipec.run --format '{{.Name}}' ;;
	esac
}

# no_leaks: true when the engine answers and nothing labelled pipec.run is
# left on it; an engine that does not answer proves nothing.
no_leaks() {
	docker version >/dev/null 2>&1 || { echo "# the engine does not answer"; return 1; }
	left=$(labelled container; labelled network; labelled volume)
	[ -z "$left" ] && return 0
	echo "# left behind:" $left
	return 1
}

# said FILE: FILE holds pipec's own word on a run: the header it writes
# once the backend answers, or a finding (a line ending in [rule-id]).
# Not any text: the shell writes its word on a crashed command there too.
said() { grep -qE '^pipec: running on the |\[[a-z0-9-]+\]$' "$1" 2>/dev/null; }

# after_run NAME TEST [CMD...]: the case NAME passes when TEST does,
# once CMD (default: said "$TMP/err") shows that the run happened: a run
# that never happened leaves nothing behind either, and proves nothing.
after_run() {
	ar_name=$1 ar_test=$2; shift 2
	[ $# -gt 0 ] || set -- said "$TMP/err"
	if "$@"; then check "$ar_name" "$ar_test"; else fail "$ar_name (no sign that pipec ran: $*)"; fi
}

# leak_check NAME [CMD...]: a case of its own after each run (after_run).
leak_check() {
	lc_name=$1; shift
	after_run "$lc_name: no container, network or volume left" no_leaks "$@"
	docker ps -aq --filter label=pipec.run | xargs -r docker rm -f >/dev/null 2>&1
	docker network ls -q --filter label=pipec.run | xargs -r docker network rm >/dev/null 2>&1
	docker volume ls -q --filter label=pipec.run | xargs -r docker volume rm -f >/dev/null 2>&1
}

# run_ok NAME FILE ARGS...: runs FILE on docker; output in $TMP/out, $TMP/err.
prun() {
	f=$1; shift
	"$PIPEC" run --backend=docker "$@" "$f" >"$TMP/out" 2>"$TMP/err"
}

# has FILE TEXT: FILE has a line containing TEXT.
has() { grep -qF -- "$2" "$1" || { echo "# '$2' not in $1:"; sed 's/^/#   /' "$1" | tail -15; return 1; }; }

# exited CODE STATUS [FILE]: pipec exited with STATUS, which is CODE,
# and said something in FILE (default $TMP/err, where a run's header
# goes): an exit status alone may be a pipec that did nothing.
exited() {
	[ "$2" -eq "$1" ] && [ -s "${3:-$TMP/err}" ] && return 0
	echo "# exit $2, wanted $1; ${3:-$TMP/err} $([ -s "${3:-$TMP/err}" ] || echo empty)"
	return 1
}

# lacks FILE PATTERN: no line of FILE matches PATTERN (grep's), in a run
# that happened (said "$TMP/err"): an absence proves nothing otherwise.
lacks() {
	said "$TMP/err" || { echo "# $TMP/err holds no word of pipec's: did it run?"; return 1; }
	[ -e "$1" ] && ! grep -q -- "$2" "$1" && return 0
	echo "# '$2' in $1 (or no $1):"; grep -- "$2" "$1" 2>/dev/null | sed 's/^/#   /' | head -5
	return 1
}

# docker_sample FILE: the sample as the tests run it, in $sample_in: a
# copy with the clone disabled when it clones (the clone step needs a
# reachable remote); $sample_secrets the names of the secrets it takes,
# each to get the made-up value sample-value-NAME.
docker_sample() {
	sample_in=$TMP/$(basename "$1")
	if grep -q '^clone:' "$1"; then cp "$1" "$sample_in"; else
		sed 's/^type: docker$/type: docker\nclone:\n  disable: true/' "$1" >"$sample_in"
	fi
	sample_secrets=$(sed -n 's/.*from_secret: *\([A-Za-z0-9_]*\).*/\1/p' "$1" | sort -u)
}

# run_samples BACKEND WHERE LEAK_CHECK: every `type: docker` sample
# (docker_sample) runs on BACKEND and succeeds (case "sample NAME:
# succeeds WHERE"), then LEAK_CHECK NAME is a case of its own.
run_samples() {
	backend=$1 where=$2 leaks=$3
	n=0
	for f in samples/*.yml; do
		grep -q '^type: docker' "$f" || continue
		n=$((n + 1))
		sname=$(basename "$f" .yml)
		docker_sample "$f"
		in=$sample_in
		set --
		for s in $sample_secrets; do
			set -- "$@" --secret "$s=sample-value-$s"
		done
		"$PIPEC" run --backend="$backend" --trusted "$@" "$in" >"$TMP/out" 2>"$TMP/err"
		rc=$?
		check "sample $sname: succeeds $where" exited 0 $rc
		[ $rc -eq 0 ] || sed 's/^/#   /' "$TMP/err" | grep -v warning | tail -5
		$leaks "sample $sname"
	done
	check "samples: docker samples found" [ $n -gt 0 ]
}
