#!/bin/sh
# drone-runtime files of both generations (tests/drone-runtime) run on a
# real engine, with images of the same names built locally
# (tests/docker/images.sh): alpine:* is busybox, redis:* is Debian's
# redis, postgres:* Debian's postgresql with the official image's
# entrypoint contract.  Each file is a case drone-runtime's own examples
# covered: run policies, host, temp and tmpfs volumes, services by name,
# working directories, a pull that needs credentials, backup and restore.
. tests/lib.sh
. tests/docker/lib.sh
S=tests/drone-runtime
docker_setup

# sample FILE: runs it; exit status in $rc, output in $TMP/out, $TMP/err.
sample() {
	"$PIPEC" run --backend=docker --trusted "$S/$1" >"$TMP/out" 2>"$TMP/err"
	rc=$?
}

# in_order FILE LINE...: each line occurs in FILE after the one before it.
in_order() {
	file=$1; shift
	awk -v n=$# 'BEGIN { for (i = 1; i < ARGC; i++) want[i] = ARGV[i]; ARGC = 1; k = 1 }
		k <= n && index($0, want[k]) { k++ }
		END { exit k <= n }' "$@" <"$file" || { echo "# not in order in $file:"; sed 's/^/#   /' "$file" | head -20; return 1; }
}

# A script mounted from the file's `files`, run by /bin/sh.
sample spec/hello.json
check "spec hello: exits 0" exited 0 $rc
check "spec hello: the mounted script runs" has "$TMP/out" "greet | hello from a file"
leak_check "spec hello"
sample legacy/hello.json
check "legacy hello: exits 0" exited 0 $rc
check "legacy hello: output" has "$TMP/out" "say | hello from a stage"
leak_check "legacy hello"

for f in spec/on_success.json legacy/on_success.json; do
	sample $f
	check "$f: exits 1" exited 1 $rc
	check "$f: first's output" has "$TMP/out" "first  | first fails here"
	check "$f: first's exit status" has "$TMP/err" "step 'first' exited with status 1"
	check "$f: second never runs" lacks "$TMP/out" '^second'
	leak_check "$f"
done

for f in spec/on_failure.json legacy/on_failure.json; do
	sample $f
	check "$f: exits 1" exited 1 $rc
	check "$f: second runs after the failure" has "$TMP/out" "second | second runs on failure"
	leak_check "$f"
done

# The host directory is made by the engine and kept; remove it after.
hostdir=/tmp/pipec-drone-runtime-host
had=; [ -e $hostdir ] && had=1
sample spec/volume_host.json
check "spec volume_host: exits 0" exited 0 $rc
check "spec volume_host: read sees what write wrote" has "$TMP/out" "read  | written to the host"
check "spec volume_host: the file stays on the host" has $hostdir/note.txt "written to the host"
[ -z "$had" ] && rm -rf $hostdir
leak_check "spec volume_host"

sample spec/volume_temp.json
check "spec volume_temp: exits 0" exited 0 $rc
check "spec volume_temp: read sees what write wrote" has "$TMP/out" "read  | kept in a temp volume"
leak_check "spec volume_temp (the volume is removed)"

sample legacy/volume.json
check "legacy volume: exits 0" exited 0 $rc
check "legacy volume: the next stage reads the file" has "$TMP/out" "read  | kept in a volume"
leak_check "legacy volume"

sample spec/volume_tmpfs.json
check "spec volume_tmpfs: exits 0" exited 0 $rc
check "spec volume_tmpfs: the file is listed" has "$TMP/out" "write | note.txt"
leak_check "spec volume_tmpfs (no volume is made, none leaks)"

# A service reached by its name.
for f in spec/service.json legacy/service.json; do
	sample $f
	check "$f: exits 0" exited 0 $rc
	check "$f: ping, set, get" in_order "$TMP/out" "client | PONG" "client | OK" "client | served"
	check "$f: the service's log is streamed" has "$TMP/out" "cache  | "
	leak_check "$f"
done

# Two services; Docker resolves their names on the run's network.
for f in spec/two_services.json legacy/two_services.json; do
	sample $f
	check "$f: exits 0" exited 0 $rc
	check "$f: both services answer" in_order "$TMP/out" "| PONG" "| PONG" "| OK" "| OK" "| west" "| east"
	leak_check "$f"
done

# Current postgres images refuse to start without POSTGRES_PASSWORD or
# POSTGRES_HOST_AUTH_METHOD, and so does the local one: the client fails.
sample spec/postgres.json
check "spec postgres: exits 1 as with current images" exited 1 $rc
check "spec postgres: the service explains" has "$TMP/out" "superuser password is not specified"
check "spec postgres: query fails with status 2" has "$TMP/err" "step 'query' exited with status 2"
leak_check "spec postgres"
sample legacy/postgres.json
check "legacy postgres: exits 1 as with current images" exited 1 $rc
check "legacy postgres: query fails with status 2" has "$TMP/err" "step 'query' exited with status 2"
leak_check "legacy postgres"

sample spec/working_dir.json
check "spec working_dir: exits 0" exited 0 $rc
check "spec working_dir: the engine makes the directory" has "$TMP/out" "where | /opt/made/by/engine"
leak_check "spec working_dir"

# An image no engine has and no registry gives without credentials.
sample spec/requires_auth.json
check "spec requires_auth: exits 1 without credentials" exited 1 $rc
check "spec requires_auth: the pull failure is named" has "$TMP/err" "[image-pull-failed]"
leak_check "spec requires_auth"

# backup/restore, which drone-runtime ran only with --chroot, are
# artifacts here and always run.
sample legacy/backup_restore.json
check "legacy backup_restore: exits 0" exited 0 $rc
check "legacy backup_restore: /out restored into the next stage" in_order "$TMP/out" "word.txt" "use  | carried over"
leak_check "legacy backup_restore"
sample legacy/inline_restore.json
check "legacy inline_restore: exits 0" exited 0 $rc
check "legacy inline_restore: the inline tar is unpacked" has "$TMP/out" "use | unpacked from the file"
leak_check "legacy inline_restore"
