/*
 * validate.h - checks IR v3 documents and normalizes them for the runtime.
 *
 * Input is a `struct ir_doc` from the frontend or from an IR file; the
 * stage never prints and never runs anything.
 *
 * val_check() reads the document and appends every problem it finds to
 * the caller's diagnostic list, positioned at the pipeline or step the
 * user wrote (`pos`).  It does not stop at the first problem.  Its rules,
 * like every stage's, are in ir_rules[] (ir/rules.c); each has a page in
 * docs/rules/<id>.md.
 *
 * val_normalize() rewrites a document that val_check() accepted into the
 * form the runtime wants: defaults explicit, the implicit sequential order
 * turned into depends_on edges, statically skipped steps removed, redundant
 * edges dropped, steps in a stable topological order.  New strings and
 * arrays come from the caller's arena, like the rest of the document.
 *
 * A typical caller:
 *
 *	struct val_policy pol = {.trusted = false};
 *	val_check(doc, &pol, &dl);
 *	if (dl.nerrors == 0)
 *		val_normalize(doc, arena, 0);
 */
#ifndef PIPEC_VALIDATE_H
#define PIPEC_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "ir/ir.h"

/* Pipelines with more steps (or documents with more pipelines) are refused. */
#define VAL_MAX_STEPS 4096

/*
 * What the repository is allowed to do.  The zero value is the strict
 * default: untrusted, root steps only warned about.
 */
struct val_policy {
	/*
	 * Allows what reaches the host: privileged steps, host-path volumes
	 * (the Docker socket among them), devices, host or container network
	 * modes, published host ports, unbounded tmpfs volumes.
	 */
	bool trusted;
	/*
	 * Turns the root-step warning into an error, and also rejects steps
	 * whose user is unset on docker and kubernetes pipelines: there the
	 * image decides, and most images run as root.
	 */
	bool require_non_root;
};

/*
 * Checks `doc` against every rule, under `policy` (NULL: the zero
 * policy).  Returns the number of errors it added to `dl`.
 */
size_t val_check(const struct ir_doc *doc, const struct val_policy *policy,
		 struct diag_list *dl);

enum {
	/*
	 * Keeps statically skipped steps and pipelines (with their `skip`)
	 * instead of removing them; the graph and plan commands show them.
	 */
	VAL_KEEP_SKIPPED = 1,
};

/*
 * Normalizes `doc` in place; `flags` is a set of VAL_* bits.  Expects a
 * document val_check() accepted: on a cyclic one it fills defaults only
 * and returns -1; otherwise returns 0 and, without VAL_KEEP_SKIPPED,
 * marks the document `normalized`, the form rt_run() takes.
 */
int val_normalize(struct ir_doc *doc, struct ir_arena *a, unsigned flags);

/* True for a step or pipeline the normalizer removes as skipped. */
bool val_is_skipped(const struct ir_skip *skip, enum ir_run_policy policy);

#endif
