# pipec run in the user's checkout, as a user runs it: a scratch git
# repository with a .drone.yml, the binary run from inside it.  The
# checkout is the workspace: steps see its files and what they write
# stays there.
. tests/lib.sh

# repo DIR: a git checkout with file.txt, sub/, and the .drone.yml on stdin.
repo() {
	mkdir -p "$1/sub" && cat >"$1/.drone.yml" &&
	echo hello >"$1/file.txt" && echo below >"$1/sub/below.txt" &&
	git -C "$1" init -q && git -C "$1" add -A &&
	git -C "$1" -c user.name=t -c user.email=t@example.com commit -qm init
}

# in DIR ARGS...: runs pipec from DIR; stdout in $TMP/out, stderr in $TMP/err.
in_repo() {
	dir=$1; shift
	(cd "$dir" && "$PIPEC_BIN" "$@") >"$TMP/out" 2>"$TMP/err"
	rc=$?
}

has() { grep -qF -- "$2" "$1" || { echo "# '$2' not in $1:"; sed 's/^/#   /' "$1" | tail -15; return 1; }; }

R=$TMP/repo
repo "$R" <<'YML'
kind: pipeline
type: exec
name: default
steps:
- name: look
  commands:
  - pwd
  - ls -A
  - echo "ws=$DRONE_WORKSPACE"
  - echo made > out.txt
- name: below
  working_dir: sub
  commands:
  - pwd
  - cat below.txt
YML
in_repo "$R" run .drone.yml
check "run in a checkout exits 0" [ "$rc" -eq 0 -a -s "$TMP/out" ]
check "a step starts in the checkout" has "$TMP/out" "look  | $R"
check "a step sees the checkout's files" has "$TMP/out" "look  | file.txt"
check "DRONE_WORKSPACE names the checkout" has "$TMP/out" "look  | ws=$R"
check "a file a step writes is in the checkout afterwards" [ "$(cat "$R/out.txt" 2>/dev/null)" = made ]
check "working_dir is taken from the checkout" has "$TMP/out" "below | $R/sub"
check "working_dir's files are there" has "$TMP/out" "below | below"
check "no clone step runs" sh -c '[ -s "$1" ] && ! grep -q "^  clone " "$1"' - "$TMP/err"
check "the summary lists the steps" has "$TMP/err" "  look "

W=$TMP/elsewhere
mkdir -p "$W/sub" && echo below >"$W/sub/below.txt"
in_repo "$R" run --workspace "$W" .drone.yml
check "--workspace DIR: exits 0" [ "$rc" -eq 0 -a -s "$TMP/out" ]
check "--workspace DIR: steps run there" has "$TMP/out" "look  | $W"
check "--workspace DIR: what they write stays there" [ -f "$W/out.txt" ]

A=$TMP/abs
repo "$A" <<'YML'
kind: pipeline
type: exec
name: default
workspace:
  path: /go/src/example.com/app
steps:
- name: where
  commands:
  - echo "ws=$DRONE_WORKSPACE"
  - echo "base=$DRONE_WORKSPACE_BASE"
YML
"$PIPEC_BIN" build "$A/.drone.yml" -o "$TMP/abs.json" 2>"$TMP/err"
check "an absolute workspace.path is the workspace, not base/path" \
	has "$TMP/abs.json" '"DRONE_WORKSPACE": "/go/src/example.com/app"'
check "an absolute workspace.path is also its base" \
	has "$TMP/abs.json" '"DRONE_WORKSPACE_BASE": "/go/src/example.com/app"'
in_repo "$A" run .drone.yml
check "an absolute workspace.path: the local run is in the checkout" has "$TMP/out" "where | ws=$A"

# --clone: a fresh workspace filled by the clone step from the checkout's
# commit; what is not committed is not there, and the run says so.
C=$TMP/clonerepo
repo "$C" <<'YML'
kind: pipeline
type: exec
name: default
steps:
- name: look
  commands:
  - pwd
  - cat file.txt
  - ls -A
  - echo made > out.txt
YML
echo second >"$C/file.txt"
git -C "$C" -c user.name=t -c user.email=t@example.com commit -qam second
first=$(git -C "$C" rev-parse HEAD~1)
echo dirty >"$C/file.txt" && echo untracked >"$C/new.txt"
in_repo "$C" run --clone
check "--clone: exits 0" [ "$rc" -eq 0 -a -s "$TMP/out" ]
check "--clone: the clone step runs" has "$TMP/err" "  clone "
check "--clone: steps see the committed files" has "$TMP/out" "look  | second"
# What is absent counts only once the step has run in the clone.
check "--clone: uncommitted changes are not there" \
	sh -c 'grep -q "look  | second" "$1" && ! grep -q "look  | dirty\|look  | new.txt" "$1"' - "$TMP/out"
check "--clone: the run says they are left out" has "$TMP/err" "uncommitted changes and untracked files are not included"
check "--clone: the workspace is not the checkout" \
	sh -c 'grep -q "look  | /" "$2" && ! grep -q "look  | $1\$" "$2"' - "$C" "$TMP/out"
check "--clone: the checkout is not written" \
	sh -c 'grep -q "look  | second" "$2" && [ ! -e "$1/out.txt" ]' - "$C" "$TMP/out"
check "--clone: the checkout keeps its changes" \
	sh -c 'grep -q "look  | second" "$2" && [ "$(cat "$1/file.txt")" = dirty ]' - "$C" "$TMP/out"
in_repo "$C" run --clone --commit "$first"
check "--clone --commit: exits 0" [ "$rc" -eq 0 -a -s "$TMP/out" ]
check "--clone --commit: that commit's files" has "$TMP/out" "look  | hello"
O=$TMP/other
repo "$O" </dev/null
echo from-remote >"$O/file.txt"
git -C "$O" -c user.name=t -c user.email=t@example.com commit -qam remote
(cd "$C" && DRONE_REMOTE_URL=$O "$PIPEC_BIN" run --clone --commit "$(git -C "$O" rev-parse HEAD)" \
	--ref refs/heads/"$(git -C "$O" symbolic-ref --short HEAD)" .drone.yml) >"$TMP/out" 2>"$TMP/err"
check "--clone with DRONE_REMOTE_URL: exits 0" [ $? -eq 0 -a -s "$TMP/out" ]
check "--clone with DRONE_REMOTE_URL: fetches from it" has "$TMP/out" "look  | from-remote"

# --clone from a checkout whose .git is a file naming its git directory:
# a worktree (the directory is in the main repository's .git, which keeps
# the objects) and a checkout made with --separate-git-dir, named by a
# relative path as a submodule's is.  The clone fetches the checkout's own
# HEAD, a branch or detached, and leaves its changes out.
WT=$TMP/worktree
git -C "$C" worktree add -q -b feature "$WT"
echo feature >"$WT/file.txt"
git -C "$WT" -c user.name=t -c user.email=t@example.com commit -qam feature
echo dirty >"$WT/file.txt"
in_repo "$WT" run --clone
check "--clone from a worktree: exits 0" [ "$rc" -eq 0 -a -s "$TMP/out" ]
check "--clone from a worktree: its branch's commit" has "$TMP/out" "look  | feature"
check "--clone from a worktree: its changes are not there" \
	sh -c 'grep -q "look  | feature" "$1" && ! grep -q "look  | dirty" "$1"' - "$TMP/out"
check "--clone from a worktree: the run says they are left out" \
	has "$TMP/err" "from the checkout $WT; uncommitted changes and untracked files are not included"
in_repo "$C" run --clone --commit "$(git -C "$C" rev-parse feature)"
check "--clone --commit of another branch: exits 0" [ "$rc" -eq 0 -a -s "$TMP/out" ]
check "--clone --commit of another branch: that commit's files" has "$TMP/out" "look  | feature"
git -C "$WT" checkout -q -f --detach HEAD~1
in_repo "$WT" run --clone
check "--clone at a detached HEAD: exits 0" [ "$rc" -eq 0 -a -s "$TMP/out" ]
check "--clone at a detached HEAD: that commit's files" has "$TMP/out" "look  | second"
check "--clone at a detached HEAD: the run names the commit" \
	has "$TMP/err" "fetches commit $(git -C "$WT" rev-parse HEAD | cut -c1-12) from the checkout $WT"
S=$TMP/separate
mkdir -p "$S" && cp "$C/.drone.yml" "$S/" && echo separate >"$S/file.txt"
git init -q --separate-git-dir "$TMP/separate.git" "$S" && echo "gitdir: ../separate.git" >"$S/.git"
git -C "$S" add -A && git -C "$S" -c user.name=t -c user.email=t@example.com commit -qm separate
in_repo "$S" run --clone
check "--clone with the git directory elsewhere: exits 0" [ "$rc" -eq 0 -a -s "$TMP/out" ]
check "--clone with the git directory elsewhere: the committed files" has "$TMP/out" "look  | separate"

# Where --clone cannot fetch from the checkout, it is refused before
# anything starts, saying how to name a remote: on Kubernetes (the
# cluster's nodes do not see this machine's paths) and outside a checkout.
K=$TMP/kuberepo
repo "$K" <<'YML'
kind: pipeline
type: docker
name: on-a-cluster
steps:
- name: test
  image: alpine:3.8
  commands: [ls]
YML
in_repo "$K" run --backend=kube --clone --kubeconfig "$TMP/no-kubeconfig"
check "--clone on kube: a usage error" [ "$rc" -eq 2 ]
check "--clone on kube: says to name a remote" has "$TMP/err" "--env DRONE_REMOTE_URL=URL"
check "--clone on kube: says why" has "$TMP/err" "the cluster's nodes do not see"
check "--clone on kube: nothing starts" \
	sh -c 'grep -q "the cluster.s nodes do not see" "$1" && ! grep -q "running on the" "$1"' - "$TMP/err"
in_repo "$K" run --backend=kube --clone --kubeconfig "$TMP/no-kubeconfig" \
	--env DRONE_REMOTE_URL=https://git.example.com/app.git
check "--clone on kube with a remote: not refused for the checkout" \
	sh -c '[ -s "$1" ] && ! grep -q "do not see" "$1"' - "$TMP/err"
N=$TMP/nocheckout
mkdir -p "$N" && cp "$K/.drone.yml" "$N/"
if git -C "$N" rev-parse --git-dir >/dev/null 2>&1; then
	ok "--clone outside a checkout # SKIP the temp directory is inside a git checkout"
else
	in_repo "$N" run --backend=local --clone
	check "--clone outside a checkout: a usage error" [ "$rc" -eq 2 ]
	check "--clone outside a checkout: says so" has "$TMP/err" "from the git checkout here, and there is none"
fi
