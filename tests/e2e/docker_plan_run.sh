#!/bin/sh
# pipec plan shows what pipec run does on Docker: every docker sample, and
# a graph with --include, --exclude, --no-deps, --pipeline and --clone,
# is planned and then run on the suite's engine with --report, and
# tests/plan_run.py compares the pipelines, the steps, their order and
# which of them overlapped.  The steps that must overlap sleep long
# enough for the engine to start the second before the first ends.
. tests/lib.sh
. tests/docker/lib.sh
. tests/plan_run.sh
docker_setup

PLAN_RUN_BACKEND=docker PLAN_RUN_ON=" on docker" PLAN_RUN_PAR=4
R=$TMP/repo
mkdir -p "$R"
git -C "$R" init -q

for f in samples/*.yml; do
	grep -q '^type: docker' "$f" || continue
	cp "$f" "$R/$(basename "$f")"
	# a host volume needs --trusted; secrets get made-up values
	PLAN_RUN_ARGS=--trusted
	for s in $(sed -n 's/.*from_secret: *\([A-Za-z0-9_]*\).*/\1/p' "$f" | sort -u); do
		PLAN_RUN_ARGS="$PLAN_RUN_ARGS --secret $s=sample-value-$s"
	done
	same "plan equals run on docker: $(basename "$f")" "$(basename "$f")" --branch=main
	leak_check "sample $(basename "$f" .yml)"
done

PLAN_RUN_ARGS=
# The same graph as on the local backend, its steps in containers.
graph_yml | sed 's/^type: exec$/type: docker/; s/^\(- name: .*\)$/\1\n  image: busybox:1.35/' \
	>"$R/.drone.yml"
git -C "$R" add .drone.yml &&
	git -C "$R" -c user.name=t -c user.email=t@example.com commit -qm graph
graph_cases .drone.yml
leak_check graph
