#!/bin/sh
# The libFuzzer targets of tests/fuzz/, each run for FUZZ_TIME seconds
# (10 here) under ASan+UBSan from its seeds, in a corpus of its own that
# is removed afterwards, with one random seed: every run tries the same
# inputs in the same order, as far as its time takes it.  A failure names the input that made it, kept in
# build/fuzz/crashes/, and the command that runs it again.  Without a
# clang that links libFuzzer (`make deps` installs one) every target is
# reported as a skip.
. tests/lib.sh
dir=build/fuzz/tests/fuzz
targets=$(ls tests/fuzz/*.c | sed 's|.*/||; s|\.c$||')
if [ "$(sh tests/fuzz/have-clang.sh)" != yes ]; then
	for t in $targets; do
		ok "fuzz $t # SKIP no clang that links -fsanitize=fuzzer (make deps installs it)"
	done
	exit 0
fi
# shellcheck disable=SC2086
FUZZ_TIME=${FUZZ_TIME:-10} FUZZ_SEED=${FUZZ_SEED:-1} FUZZ_CORPUS=$TMP/corpus sh tests/fuzz/run.sh "$dir" $targets
exit 0
