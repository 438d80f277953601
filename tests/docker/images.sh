# tests/docker/images.sh - sourced by the Docker tests after engine_up:
# builds the images they run, offline, with `docker import` from the
# host's Debian binaries.  Nothing is pulled.
#
#   images_build     makes busybox, redis, postgres and git (skips those
#                    present) and tags them with the names the drone-runtime
#                    samples and the clone step use (alpine:3.8,
#                    redis:4-alpine, postgres:9-alpine, alpine/git, ...);
#                    on an engine the tests did not start, names that are
#                    already taken are left as they are
#
# Needs busybox-static, redis-server, postgresql and git installed on the host.

# rootfs_busybox DIR: a shell and the usual tools at DIR.
rootfs_busybox() {
	mkdir -p "$1/bin" "$1/etc" "$1/tmp" "$1/root" "$1/usr/bin" "$1/run" "$1/var"
	ln -s ../run "$1/var/run"
	chmod 1777 "$1/tmp"
	cp /bin/busybox "$1/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$1/bin/$a"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$1/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$1/etc/group"
	printf 'hosts: files dns\n' >"$1/etc/nsswitch.conf"
}

# copy_bin DIR FILE...: copies each file and the shared libraries ldd
# finds for it (with the loader) to the same paths below DIR.
copy_bin() {
	root=$1; shift
	for f in "$@"; do
		mkdir -p "$root$(dirname "$f")"
		cp -L "$f" "$root$f"
		ldd "$f" 2>/dev/null | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }'
	done | sort -u | while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		[ -e "$root$lib" ] || cp -L "$lib" "$root$lib"
	done
}

# import DIR NAME CHANGE...: imports DIR as image NAME.
import_dir() {
	dir=$1 name=$2; shift 2
	set -- "$@"
	tar -C "$dir" -c . | docker import "$@" - "$name" >/dev/null
}

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

image_busybox() {
	d=$IMG_TMP/busybox
	rootfs_busybox "$d"
	import_dir "$d" pipec-test/busybox:1 -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin'
}

image_redis() {
	d=$IMG_TMP/redis
	rootfs_busybox "$d"
	copy_bin "$d" /usr/bin/redis-server /usr/bin/redis-cli
	mkdir -p "$d/data"
	import_dir "$d" pipec-test/redis:1 -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
		-c 'WORKDIR /data' -c 'EXPOSE 6379' \
		-c 'CMD ["redis-server", "--protected-mode", "no", "--save", ""]'
}

# The entrypoint follows the official image's contract: it refuses to
# start without POSTGRES_PASSWORD or POSTGRES_HOST_AUTH_METHOD, makes
# POSTGRES_USER (default postgres) and POSTGRES_DB, and runs the server as
# the unprivileged user postgres.
image_postgres() {
	d=$IMG_TMP/postgres
	pg=$(ls -d /usr/lib/postgresql/*/ | sort -V | tail -1)
	pg=${pg%/}; v=${pg##*/}
	rootfs_busybox "$d"
	copy_bin "$d" "$pg/bin/postgres" "$pg/bin/initdb" "$pg/bin/psql" "$pg/bin/pg_ctl" \
		"$pg/bin/pg_isready" $(ls "$pg"/lib/*.so | grep -v llvmjit)
	mkdir -p "$d/usr/share/postgresql" "$d/usr/share/zoneinfo/Etc" "$d/var/lib/postgresql" "$d/run/postgresql"
	cp -r "/usr/share/postgresql/$v" "$d/usr/share/postgresql/$v"
	rm -rf "$d/usr/share/postgresql/$v/man" "$d/usr/share/postgresql/$v/contrib"
	cp /usr/share/zoneinfo/Etc/UTC "$d/usr/share/zoneinfo/Etc/UTC"
	cp /usr/share/zoneinfo/Etc/UTC "$d/usr/share/zoneinfo/UTC"
	for b in psql initdb postgres pg_ctl pg_isready; do ln -sf "$pg/bin/$b" "$d/usr/bin/$b"; done
	echo 'postgres:x:70:70:postgres:/var/lib/postgresql:/bin/sh' >>"$d/etc/passwd"
	echo 'postgres:x:70:' >>"$d/etc/group"
	mkdir -p "$d/usr/local/bin"
	cat >"$d/usr/local/bin/docker-entrypoint.sh" <<'SH'
#!/bin/sh
set -e
if [ "$1" != postgres ]; then exec "$@"; fi
if [ -z "$POSTGRES_PASSWORD" ] && [ -z "$POSTGRES_HOST_AUTH_METHOD" ]; then
	echo 'error: database is uninitialized and superuser password is not specified' >&2
	echo '  set POSTGRES_PASSWORD, or POSTGRES_HOST_AUTH_METHOD=trust' >&2
	exit 1
fi
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
auth=${POSTGRES_HOST_AUTH_METHOD:-md5}
export PGDATA=${PGDATA:-/var/lib/postgresql/data}
mkdir -p "$PGDATA" /run/postgresql
chown -R postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
# busybox su needs no password as root; arguments are joined for its -c
as_pg() { su -s /bin/sh postgres -c "$*"; }
if [ ! -s "$PGDATA/PG_VERSION" ]; then
	printf '%s' "${POSTGRES_PASSWORD:-}" >/tmp/pwfile
	chown postgres /tmp/pwfile
	pw=; [ -n "$POSTGRES_PASSWORD" ] && pw=--pwfile=/tmp/pwfile
	as_pg initdb -D "$PGDATA" -U "$user" -E UTF8 --locale=C $pw --auth-local=trust --auth-host="$auth" >/dev/null
	rm -f /tmp/pwfile
	echo "host all all all $auth" >>"$PGDATA/pg_hba.conf"
	as_pg pg_ctl -D "$PGDATA" -o "\"-c listen_addresses=''\"" -w start >/dev/null
	[ "$db" = postgres ] || as_pg psql -q -U "$user" -d postgres -c "'CREATE DATABASE \"$db\"'" >/dev/null
	as_pg pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
echo 'postgres: ready to start'
exec su -s /bin/sh postgres -c "exec postgres -D '$PGDATA' -c listen_addresses='*'"
SH
	chmod 755 "$d/usr/local/bin/docker-entrypoint.sh"
	import_dir "$d" pipec-test/postgres:1 -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
		-c 'ENV TZ=UTC' -c 'EXPOSE 5432' \
		-c 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' -c 'CMD ["postgres"]'
}

# git with a shell: what the clone step runs.  Its commands other than
# git itself (git-upload-pack, which fetching from a path starts, and the
# rest) are links to the one binary, as in Debian's package.
image_git() {
	d=$IMG_TMP/git
	rootfs_busybox "$d"
	copy_bin "$d" /usr/bin/git
	mkdir -p "$d/usr/lib/git-core" "$d/usr/share/git-core/templates"
	ln -s /usr/bin/git "$d/usr/lib/git-core/git"
	for f in /usr/lib/git-core/git-*; do
		if [ "$(readlink "$f")" = git ]; then ln -s git "$d$f"; fi
	done
	import_dir "$d" pipec-test/git:1 -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' -c 'CMD ["/bin/sh"]'
}

# Names used by repository samples and by the drone-runtime samples.
IMG_TAGS_busybox="busybox busybox:1.35 busybox:latest alpine alpine:3.6 alpine:3.8 alpine:latest golang:1.11"
IMG_TAGS_redis="redis redis:7 redis:latest redis:3.0 redis:4-alpine"
IMG_TAGS_postgres="postgres postgres:15 postgres:latest postgres:9-alpine"
IMG_TAGS_git="alpine/git:v2.30.2"

images_build() {
	IMG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/pipec-img.XXXXXX")
	for img in busybox redis postgres git; do
		if ! have_image "pipec-test/$img:1"; then
			"image_$img" || { rm -rf "$IMG_TMP"; echo "# building image $img failed" >&2; return 1; }
		fi
		eval "tags=\$IMG_TAGS_$img"
		# on an engine the tests did not start, never replace someone's image
		for t in $tags; do
			[ "$ENGINE_PRIVATE" = 1 ] || ! have_image "$t" || continue
			docker tag "pipec-test/$img:1" "$t" >/dev/null || return 1
		done
	done
	rm -rf "$IMG_TMP"
}
