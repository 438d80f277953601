/*
 * secrets.h - the secret values a user supplies for a run, by name.
 *
 * The store owns copies of names and values; a later value for the same
 * name replaces the earlier one.  How values are given (--secret,
 * --secret-file, a dotenv file) is the command line's business (cli/);
 * which value a step, a pull or the masker gets is the runtime's
 * (rt_run() resolves each secret once, from this store or from the
 * source the pipeline declares, and adds it to the run's mask).
 */
#ifndef PIPEC_RUNTIME_SECRETS_H
#define PIPEC_RUNTIME_SECRETS_H

#include <stddef.h>
#include <stdio.h>

#include "ir/ir.h"

struct rt_secrets {
	struct ir_kv *v;
	size_t n, cap;
};

#define RT_MAX_SECRET (1u << 20)    /* bytes in one secret value */

void rt_secrets_init(struct rt_secrets *s);
void rt_secrets_release(struct rt_secrets *s);
/* Adds NAME=VALUE; -1 only when out of memory. */
int rt_secrets_set(struct rt_secrets *s, const char *name, const char *value);
/* The value supplied for `name`, or NULL. */
const char *rt_secrets_get(const struct rt_secrets *s, const char *name);

/*
 * Reads a whole file of at most `max` bytes, NUL-terminated, its length
 * in *len; free() it.  NULL with errno set (EFBIG past `max`).
 */
char *rt_read_file(const char *path, size_t max, size_t *len);

/* ---- Masking what pipec itself writes ------------------------------ */

/*
 * The secret values of a run, hidden as "********" wherever they would be
 * written.  A run adds every value it resolves (struct rt_options's
 * `mask`); its caller keeps the mask to hide them in what it writes too:
 * pull progress, messages, the summary and the report.
 */
struct rt_mask;

struct rt_mask *rt_mask_new(void);
void rt_mask_free(struct rt_mask *m);

/*
 * A line-buffered stream writing to `to` with every value of `m` hidden,
 * a line at a time (a partial line waits for its end, or fclose()).  It
 * borrows `to` and `m`: fclose() it before either goes.  NULL when out
 * of memory.
 */
FILE *rt_mask_stream(struct rt_mask *m, FILE *to);

/* A secret kept in a file: its bytes without one final newline; free() it.
 * NULL with errno set. */
char *rt_read_secret_file(const char *path);

#endif
