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

# no_leaks: true when nothing labelled pipec.run is left on the engine.
no_leaks() {
	left=$(labelled container; labelled network; labelled volume)
	[ -z "$left" ] && return 0
	echo "# left behind:" $left
	return 1
}

# leak_check NAME: a case of its own after each run.
leak_check() {
	check "$1: no container, network or volume left" no_leaks
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
