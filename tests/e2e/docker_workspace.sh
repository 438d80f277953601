#!/bin/sh
# pipec run on Docker in the user's checkout: the checkout is bound at the
# pipeline's workspace path, so a step sees its files and a file a step
# writes appears on the host.  Run from inside a scratch git repository,
# as a user runs it.  --env and --env-file reach the containers too.
. tests/lib.sh
. tests/docker/lib.sh
docker_setup

R=$TMP/repo
mkdir -p "$R"
echo hello-from-host >"$R/file.txt"
cat >"$R/.drone.yml" <<'YML'
kind: pipeline
type: docker
name: default
steps:
- name: look
  image: busybox:1.35
  commands:
  - pwd
  - cat file.txt
  - echo "ws=$DRONE_WORKSPACE"
  - echo from-container > made.txt
YML
git -C "$R" init -q && git -C "$R" add -A &&
	git -C "$R" -c user.name=t -c user.email=t@example.com commit -qm init
(cd "$R" && "$PIPEC_BIN" run --backend=docker .drone.yml) >"$TMP/out" 2>"$TMP/err"
check "checkout: exits 0" [ $? -eq 0 ]
check "checkout: steps start at /drone/src" has "$TMP/out" "look | /drone/src"
check "checkout: a step sees the checkout's files" has "$TMP/out" "look | hello-from-host"
check "checkout: DRONE_WORKSPACE is the bound path" has "$TMP/out" "look | ws=/drone/src"
check "checkout: a file written by a step appears on the host" \
	[ "$(cat "$R/made.txt" 2>/dev/null)" = from-container ]
check "checkout: no clone step runs" sh -c '! grep -q "^  clone " "$1"' - "$TMP/err"
leak_check checkout

cat >"$R/.drone.yml" <<'YML'
kind: pipeline
type: docker
name: default
workspace:
  path: /go/src/example.com/app
steps:
- name: look
  image: busybox:1.35
  commands:
  - pwd
  - cat file.txt
YML
(cd "$R" && "$PIPEC_BIN" run --backend=docker .drone.yml) >"$TMP/out" 2>"$TMP/err"
check "absolute workspace.path: exits 0" [ $? -eq 0 ]
check "absolute workspace.path: the checkout is bound there" has "$TMP/out" "look | /go/src/example.com/app"
check "absolute workspace.path: its files are there" has "$TMP/out" "look | hello-from-host"
leak_check absolute

# --env and --env-file reach the containers, below the file's own variables.
cat >"$R/.drone.yml" <<'YML'
kind: pipeline
type: docker
name: default
environment:
  FROM_PIPELINE: pipeline-value
steps:
- name: look
  image: busybox:1.35
  commands:
  - echo "cli=$FROM_CLI file=$FROM_FILE pipeline=$FROM_PIPELINE"
YML
echo 'FROM_FILE="file value"' >"$TMP/vars.env"
(cd "$R" && "$PIPEC_BIN" run --backend=docker --env FROM_CLI=cli-value --env FROM_PIPELINE=not-this \
	--env-file "$TMP/vars.env") >"$TMP/out" 2>"$TMP/err"
check "--env on docker: exits 0" [ $? -eq 0 ]
check "--env on docker: the container has the variables" \
	has "$TMP/out" "look | cli=cli-value file=file value pipeline=pipeline-value"
leak_check env
