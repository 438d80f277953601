#!/bin/sh
# tests/docker/toolchain-image.sh - makes pipec-test/build:1, the image
# the docker pipeline of the repository's .drone.yml builds pipec in, with
# `docker import` from the host's Debian packages: the C compiler, make,
# pkg-config, re2c and the libraries' -dev packages pipec builds against
# (whatever files the installed packages own), the libraries they load,
# and busybox for a shell.  Nothing is pulled.  Run it from the top of
# the tree with DOCKER_HOST naming the engine; it does nothing when the
# image is there already.
#
#   sh tests/docker/toolchain-image.sh
#
# Needs the packages `make deps` installs.
. tests/docker/images.sh

TOOLCHAIN_IMAGE=pipec-test/build:1
TOOLCHAIN_PKGS="yaml-0.1 libcjson libcurl libcrypto criterion"

# The packages owning each FILE (and the file it links to).
owners() {
	for f in "$@"; do
		dpkg -S "$f" 2>/dev/null || dpkg -S "$(readlink -f "$f")" 2>/dev/null
	done | sed 's/: \/.*//; s/, /\n/g' | sort -u
}

# lib_closure PKG...: the packages and, level by level, the installed
# library packages they (pre-)depend on: what their programs and
# libraries load.  One dpkg-query per level.
lib_closure() {
	seen=" " next="$*"
	while [ -n "$next" ]; do
		now=
		for p in $next; do
			case $seen in *" ${p%%:*} "*) continue ;; esac
			seen="$seen${p%%:*} " now="$now $p"
		done
		[ -n "$now" ] || break
		next=$(dpkg-query -W -f='${Pre-Depends}, ${Depends}\n' $now 2>/dev/null | tr ',' '\n' |
			sed 's/[(|].*//; s/ //g' | grep -E '^(lib|zlib)' | grep -v -- '-dev$' | sort -u)
	done
	echo "$seen" | tr ' ' '\n' | sed '/^$/d'
}

toolchain_pkgs() {
	cc=$(command -v gcc) as=$(command -v as)
	dev=$(owners $(pkg-config --path $TOOLCHAIN_PKGS) /usr/include/stdio.h /usr/include/linux/limits.h)
	owners "$cc" "$(readlink -f "$cc")" "$(gcc -print-prog-name=cc1)" "$(gcc -print-libgcc-file-name)" \
		"$as" "$(readlink -f "$as")" "$(command -v make)" "$(command -v pkg-config)" \
		"$(readlink -f "$(command -v pkg-config)")" "$(command -v re2c)"
	echo "$dev"
}

# copy_pkgs DIR PKG...: every file and link the packages own, at its
# path, but links to directories (the image has the host's merged /usr)
# and what a plain build needs not: documentation, translations, gconv
# modules, the link-time optimizer and the sanitizers' runtimes.
copy_pkgs() {
	root=$1; shift
	dpkg -L "$@" | grep -Ev '^/usr/share/(doc|man|info|locale|lintian|bug|gdb)/|/gconv/|/lto1$|lto-dump|/lib(a|t|l|ub|hwa)san' |
		while read -r f; do
			[ -d "$f" ] && continue
			if [ -L "$f" ] || [ -e "$f" ]; then echo "${f#/}"; fi
		done | sort -u | tar -C / -c --no-recursion -T - | tar -C "$root" -x --keep-directory-symlink
}

image_toolchain() {
	d=$IMG_TMP/toolchain
	rootfs_busybox "$d"
	mkdir -p "$d/usr/lib/$(gcc -dumpmachine)" "$d/usr/lib64"
	ln -s usr/lib "$d/lib" && ln -s usr/lib64 "$d/lib64"
	copy_pkgs "$d" $(lib_closure $(toolchain_pkgs | sort -u) libc6) || return 1
	ln -sf gcc "$d/usr/bin/cc"
	import_dir "$d" "$TOOLCHAIN_IMAGE" -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' -c 'CMD ["/bin/sh"]'
}

have_image "$TOOLCHAIN_IMAGE" && exit 0
IMG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/pipec-img.XXXXXX")
trap 'rm -rf "$IMG_TMP"' EXIT
image_toolchain
