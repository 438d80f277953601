/*
 * suggest.c - "did you mean" for misspelt keys and values.
 *
 * The distance is optimal string alignment (Levenshtein plus adjacent
 * transposition, so 'imgae' is one edit from 'image').  A candidate is
 * offered when it is within a third of the word's length, at least one
 * edit; candidates whose length alone rules them out are skipped before
 * any table is filled, which keeps a huge misspelt key cheap.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"

/* Words longer than this are never close to a key or enum value. */
#define SUGGEST_MAX_LEN 64

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;
	return m < c ? m : c;
}

/* Optimal string alignment distance; both strings at most SUGGEST_MAX_LEN. */
static size_t osa_distance(const char *s, size_t n, const char *t, size_t m)
{
	size_t d[SUGGEST_MAX_LEN + 1][SUGGEST_MAX_LEN + 1];
	for (size_t i = 0; i <= n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= n; i++) {
		for (size_t j = 1; j <= m; j++) {
			size_t cost = s[i - 1] != t[j - 1];
			d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 && s[i - 1] == t[j - 2] && s[i - 2] == t[j - 1] &&
			    d[i - 2][j - 2] + 1 < d[i][j])
				d[i][j] = d[i - 2][j - 2] + 1;
		}
	}
	return d[n][m];
}

size_t ir_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	if (n > SUGGEST_MAX_LEN || m > SUGGEST_MAX_LEN)
		return SIZE_MAX;
	return osa_distance(a, n, b, m);
}

const char *ir_suggest(const char *word, const char *const *candidates, size_t n)
{
	size_t len = strlen(word);
	if (len == 0 || len > SUGGEST_MAX_LEN)
		return NULL;
	size_t limit = len / 3 > 1 ? len / 3 : 1;
	const char *best = NULL;
	size_t best_d = limit + 1;
	for (size_t i = 0; i < n; i++) {
		size_t clen = strlen(candidates[i]);
		size_t gap = clen > len ? clen - len : len - clen;
		if (clen > SUGGEST_MAX_LEN || gap >= best_d)
			continue;
		size_t d = osa_distance(word, len, candidates[i], clen);
		if (d < best_d) {
			best = candidates[i];
			best_d = d;
		}
	}
	return best;
}
