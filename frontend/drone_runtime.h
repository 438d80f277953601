/*
 * drone_runtime.h - what the drone-runtime importer's files share:
 * drone_runtime_json.c decodes JSON under the Go decoder's rules,
 * drone_runtime.c builds the pipeline and holds the entry point, and
 * drone_runtime_stages.c and drone_runtime_spec.c read the 2017-18 and
 * 2019 formats through them.  Private to frontend/.
 *
 * Positions are JSON Pointers, kept as a chain of `struct jp` on the
 * stack while a reader descends and rendered only when a diagnostic or
 * an IR node needs one.
 */
#ifndef PIPEC_FRONTEND_DRONE_RUNTIME_H
#define PIPEC_FRONTEND_DRONE_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "frontend/internal.h"

/* Ceilings: a hostile file gets a diagnostic, not unbounded work. */
#define DR_MAX_STEPS 1000       /* steps in one file */
#define DR_MAX_ITEMS 10000      /* elements of one array; pipeline volumes */

/* One step of a JSON Pointer: a key, or an index when `key` is NULL. */
struct jp {
	const struct jp *up;
	const char *key;
	size_t index;
};

/* One import: the file, where its IR goes, and the pipeline being built. */
struct imp {
	const char *path;
	struct ir_arena *a;
	struct diag_list *dl;
	struct ir_pipeline *p;
	size_t cap_steps, cap_secrets, cap_volumes, cap_files, cap_networks;
	size_t stage_lo;        /* 2017-18: index of the current stage's first step */
	bool too_many;          /* the step ceiling was reported */
};

/* ---- drone_runtime_json.c: pointers and diagnostics ------------------- */

/* The position of `at` in the file: its JSON Pointer. */
struct ir_pos fe_dr_pos(struct imp *im, const struct jp *at);

/* An error: `at` is not `want` ("a string") but what `got` is. */
void fe_dr_type_error(struct imp *im, const struct jp *at, const char *want,
		      const cJSON *got);

/* A warning: a reference or element that cannot be resolved is skipped. */
__attribute__((format(printf, 3, 4))) void
fe_dr_ignored(struct imp *im, const struct jp *at, const char *fmt, ...);

/* A note: a value with no IR equivalent is left behind. */
__attribute__((format(printf, 3, 4))) void
fe_dr_dropped(struct imp *im, const struct jp *at, const char *fmt, ...);

/* ---- drone_runtime_json.c: fields under the Go decoder's rules -------- */

/*
 * The value of `key` in `obj`: the last exact-case match, else the last
 * case-insensitive one.  NULL when absent or null.
 */
const cJSON *fe_dr_field(const cJSON *obj, const char *key);

/* True when `top` has any of the NULL-terminated `keys`. */
bool fe_dr_has_any(const cJSON *top, const char *const *keys);

/* Warns about each key of `obj` not in `known` (drone-runtime ignored them). */
void fe_dr_check_keys(struct imp *im, const cJSON *obj,
		      const char *const *known, const struct jp *at);

/* The object under `key`, keys checked, or NULL; `*here` becomes its step. */
const cJSON *fe_dr_get_obj(struct imp *im, const cJSON *obj, const char *key,
			   const char *const *known, const struct jp *at,
			   struct jp *here);

/* The array under `key`, or NULL; `*here` becomes its pointer step. */
const cJSON *fe_dr_get_arr(struct imp *im, const cJSON *obj, const char *key,
			   const struct jp *at, struct jp *here);

/* A string; NULL when absent, null or "" (Go's zero value). */
char *fe_dr_get_str(struct imp *im, const cJSON *obj, const char *key,
		    const struct jp *at);

bool fe_dr_get_bool(struct imp *im, const cJSON *obj, const char *key,
		    const struct jp *at);

/* An integer in [min, max]; 0 when absent or after an error. */
int64_t fe_dr_get_int(struct imp *im, const cJSON *obj, const char *key,
		      const struct jp *at, int64_t min, int64_t max);

/* An array of strings; an empty array is absent, as Docker saw it. */
struct ir_strs fe_dr_get_strs(struct imp *im, const cJSON *obj,
			      const char *key, const struct jp *at);

/* An object of strings (environment). */
struct ir_env fe_dr_get_env(struct imp *im, const cJSON *obj, const char *key,
			    const struct jp *at);

/* Notes that a set `key` has no IR equivalent and is left behind: `why`. */
void fe_dr_drop(struct imp *im, const cJSON *obj, const char *key,
		const struct jp *at, const char *why);

/* An enumeration through `parse`; "" is the default, unknown strings warn. */
int fe_dr_get_enum(struct imp *im, const cJSON *obj, const char *key,
		   const struct jp *at, int (*parse)(const char *),
		   const char *dflt);

/* ---- drone_runtime_json.c: arrays of objects -------------------------- */

#define OBJS_STRS 3             /* string fields read from each element */

/*
 * An array of objects, walked one element at a time.  Nearly every array
 * in both formats is one: each element that is not an object is reported
 * and skipped, each object's keys are checked against `known`, and the
 * string fields `strs` names are read into `s`, in order, before the
 * reader sees the object.  The caller fills `known` and `strs`; the rest
 * belongs to fe_dr_objs_open() and fe_dr_objs_next().
 */
struct objs {
	const char *const *known;
	const char *strs[OBJS_STRS];
	char *s[OBJS_STRS];     /* the current object's strings, NULL if unset */
	struct jp arr, at;      /* pointers of the array and the current object */
	const cJSON *next;
	size_t i;
};

/* Finds the array `key` of `obj`; returns it, or NULL, for sizing. */
const cJSON *fe_dr_objs_open(struct imp *im, struct objs *it,
			     const cJSON *obj, const char *key,
			     const struct jp *up);

/* The next object of the array, or NULL at its end. */
const cJSON *fe_dr_objs_next(struct imp *im, struct objs *it);

/* Warns about an element whose `what` lacks its name. */
void fe_dr_unnamed(struct imp *im, const struct objs *it, const char *what);

/* True when both strings read are set, else warns about `what`. */
bool fe_dr_both(struct imp *im, const struct objs *it, const char *what);

/* Calls `each` on every object of the array `key` of `obj`. */
void fe_dr_each_obj(struct imp *im, const cJSON *obj, const char *key,
		    const struct jp *up, const char *const *known,
		    void (*each)(struct imp *, const cJSON *, const struct jp *));

/* ---- drone_runtime_json.c: text ---------------------------------------- */

/* Padded standard base64 without CR and LF, or NULL with `*bad` set. */
char *fe_dr_b64_clean(struct ir_arena *a, const char *s, size_t len,
		      size_t *bad);

/* The payload of a `data:` URL as standard base64, or NULL after an error. */
char *fe_dr_data_url(struct imp *im, const char *url, const struct jp *at);

/* Parses the first JSON value as an object; NULL after an error. */
cJSON *fe_dr_parse(const char *path, const char *text, size_t len,
		   struct diag_list *dl);

/* ---- drone_runtime.c: building the pipeline --------------------------- */

/* Makes room for one more element of an arena array, doubling when full. */
void *fe_dr_grow(struct ir_arena *a, void *v, size_t n, size_t *cap,
		 size_t size);

struct ir_secret *fe_dr_find_secret(struct ir_pipeline *p, const char *name);

/* Declares a secret whose value the runtime supplies, once per name. */
void fe_dr_add_secret(struct imp *im, const char *name, const struct jp *at);

/* Warns that the value of secret `name` stays out of the IR. */
void fe_dr_secret_value_dropped(struct imp *im, const char *name,
				const struct jp *at);

struct ir_volume *fe_dr_find_volume(struct ir_pipeline *p, const char *name);

/* Adds a pipeline volume, renamed if the name is taken; NULL after the ceiling. */
struct ir_volume *fe_dr_add_volume(struct imp *im, const char *name,
				   enum ir_volume_kind kind,
				   const struct jp *at);

bool fe_dr_file_taken(struct ir_pipeline *p, const char *name);

/* Adds a pipeline file, renamed if the name is taken. */
struct ir_file *fe_dr_add_file(struct imp *im, const char *name, char *data,
			       const struct jp *at);

/* A new step, or NULL past the ceiling. */
struct ir_step *fe_dr_add_step(struct imp *im, const struct jp *at);

/* Gives the step a name no earlier step has, warning when it had to change. */
void fe_dr_name_step(struct imp *im, struct ir_step *s, const char *want,
		     const struct jp *at);

/* Room for the JSON array's elements and `extra` more, or NULL for none. */
void *fe_dr_room(struct ir_arena *a, const cJSON *arr, size_t extra,
		 size_t size);

/* Splits a Docker bind target `path[:ro|:rw]`. */
char *fe_dr_mount_target(struct ir_arena *a, const char *t, bool *ro);

/* ---- The formats -------------------------------------------------------- */

/* True when `top` has a key only the 2017-18 stage format has. */
bool fe_dr_is_stages(const cJSON *top);

/* Reads the 2017-18 stage format (drone_runtime_stages.c). */
void fe_dr_stages_import(struct imp *im, const cJSON *top);

/* True when `top` has a key of the 2019 spec format. */
bool fe_dr_is_spec(const cJSON *top);

/* Reads the 2019 spec format (drone_runtime_spec.c). */
void fe_dr_spec_import(struct imp *im, const cJSON *top);

#endif
