#!/bin/sh
# pipec run on Docker in the user's checkout: the checkout is bound at the
# pipeline's workspace path, so a step sees its files and a file a step
# writes appears on the host.  Run from inside a scratch git repository,
# as a user runs it.  --env and --env-file reach the containers too.
# With --clone the clone step, a git container (the suite's own, tagged
# with the clone step's image name), fetches the checkout's commit through
# a read-only bind of the checkout into a fresh workspace volume, from a
# worktree or a checkout whose git directory is elsewhere too.
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
cp "$R/.drone.yml" "$TMP/look.yml"
git -C "$R" init -q && git -C "$R" add -A &&
	git -C "$R" -c user.name=t -c user.email=t@example.com commit -qm init
(cd "$R" && "$PIPEC_BIN" run --backend=docker .drone.yml) >"$TMP/out" 2>"$TMP/err"
check "checkout: exits 0" exited 0 $?
check "checkout: steps start at /drone/src" has "$TMP/out" "look | /drone/src"
check "checkout: a step sees the checkout's files" has "$TMP/out" "look | hello-from-host"
check "checkout: DRONE_WORKSPACE is the bound path" has "$TMP/out" "look | ws=/drone/src"
check "checkout: a file written by a step appears on the host" \
	[ "$(cat "$R/made.txt" 2>/dev/null)" = from-container ]
check "checkout: no clone step runs" lacks "$TMP/err" "^  clone "
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
check "absolute workspace.path: exits 0" exited 0 $?
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
check "--env on docker: exits 0" exited 0 $?
check "--env on docker: the container has the variables" \
	has "$TMP/out" "look | cli=cli-value file=file value pipeline=pipeline-value"
leak_check env

# --clone: steps see the committed files, not the uncommitted ones, and
# the run says so; the checkout is not written.
cp "$TMP/look.yml" "$R/.drone.yml"
rm -f "$R/made.txt"
echo committed >"$R/file.txt"
git -C "$R" -c user.name=t -c user.email=t@example.com commit -qam committed
echo dirty >"$R/file.txt"
echo untracked >"$R/new.txt"

(cd "$R" && "$PIPEC_BIN" run --backend=docker --clone) >"$TMP/out" 2>"$TMP/err"
rc=$?
check "--clone on docker: exits 0" exited 0 $rc
[ $rc -eq 0 ] || sed 's/^/#   /' "$TMP/err" | tail -15
check "--clone on docker: the clone step runs" has "$TMP/err" "  clone "
check "--clone on docker: steps run in the workspace volume" has "$TMP/out" "look  | /drone/src"
check "--clone on docker: steps see the committed files" has "$TMP/out" "look  | committed"
# What is absent counts only once the step has run in the clone.
check "--clone on docker: uncommitted changes are not there" \
	sh -c 'grep -q "look  | committed" "$1" && ! grep -q "look  | dirty\|look  | new.txt" "$1"' - "$TMP/out"
check "--clone on docker: the run says they are left out" \
	has "$TMP/err" "uncommitted changes and untracked files are not included"
check "--clone on docker: the checkout is not written" \
	sh -c 'grep -q "look  | committed" "$2" && [ ! -e "$1/made.txt" ]' - "$R" "$TMP/out"
check "--clone on docker: the checkout keeps its changes" \
	sh -c 'grep -q "look  | committed" "$2" && [ "$(cat "$1/file.txt")" = dirty ]' - "$R" "$TMP/out"
leak_check "--clone on docker"

# clone_sees NAME DIR TEXT [VAR=VALUE...]: pipec run --backend=docker
# --clone, run in DIR with the variables set, exits 0 and its step prints
# TEXT, from the committed file.txt.
clone_sees() {
	label=$1 dir=$2 text=$3
	shift 3
	(cd "$dir" && env "$@" "$PIPEC_BIN" run --backend=docker --clone) >"$TMP/out" 2>"$TMP/err"
	rc=$?
	check "$label: exits 0" exited 0 $rc
	[ $rc -eq 0 ] || sed 's/^/#   /' "$TMP/err" | tail -15
	check "$label: steps see the committed files" has "$TMP/out" "look  | $text"
}

# --clone from a checkout whose .git is a file: the container sees the
# git directories it names only through read-only binds of them, at the
# paths git follows.  A worktree's directory is in the main repository's
# .git, which keeps its objects; a submodule's is named by a relative
# path (a checkout made with --separate-git-dir here, written as one).
M=$TMP/main W=$TMP/worktree
mkdir -p "$M" && cp "$TMP/look.yml" "$M/.drone.yml" && echo main-branch >"$M/file.txt"
git -C "$M" init -q && git -C "$M" add -A &&
	git -C "$M" -c user.name=t -c user.email=t@example.com commit -qm main
git -C "$M" worktree add -q -b feature "$W"
echo feature-branch >"$W/file.txt"
git -C "$W" -c user.name=t -c user.email=t@example.com commit -qam feature
echo dirty >"$W/file.txt"
clone_sees "--clone on docker from a worktree" "$W" feature-branch
check "--clone on docker from a worktree: its changes are not there" \
	sh -c 'grep -q "look  | feature-branch" "$1" && ! grep -q "look  | dirty" "$1"' - "$TMP/out"
check "--clone on docker from a worktree: the run says they are left out" \
	has "$TMP/err" "uncommitted changes and untracked files are not included"
check "--clone on docker from a worktree: the checkout is not written" \
	sh -c 'grep -q "look  | feature-branch" "$2" && [ ! -e "$1/made.txt" ]' - "$W" "$TMP/out"
leak_check "--clone on docker from a worktree"
git -C "$W" checkout -q -f --detach HEAD~1
clone_sees "--clone on docker from a worktree at a detached HEAD" "$W" main-branch
leak_check "--clone on docker from a worktree at a detached HEAD"

S=$TMP/separate
mkdir -p "$S" "$TMP/modules" && cp "$TMP/look.yml" "$S/.drone.yml" && echo separate >"$S/file.txt"
git init -q --separate-git-dir "$TMP/modules/separate" "$S" && echo "gitdir: ../modules/separate" >"$S/.git"
git -C "$S" add -A && git -C "$S" -c user.name=t -c user.email=t@example.com commit -qm separate
clone_sees "--clone on docker, git directory named by a relative path" "$S" separate
leak_check "--clone on docker, git directory named by a relative path"

# A checkout owned by another user than the one git runs as in the clone
# container (root): git refuses to read a repository of another owner
# unless told it is safe, which the clone step's fetch is.  The host side
# (pipec's own git commands) trusts it through HOME's git config.
mkdir -p "$TMP/home"
printf '[safe]\n\tdirectory = *\n' >"$TMP/home/.gitconfig"
chown -R 65534:65534 "$R"
clone_sees "--clone on docker, checkout of another owner" "$R" committed HOME="$TMP/home"
leak_check "--clone on docker, checkout of another owner"
