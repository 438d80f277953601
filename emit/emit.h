/*
 * emit.h - writes a normalized IR document in another engine's format.
 *
 * Input is a document val_check() accepted and val_normalize() rewrote
 * (defaults and edges explicit, statically skipped steps removed): the
 * emitters read IR only and know nothing of YAML.  Output is text the
 * caller frees with free(); the same document and options always give the
 * same bytes.
 *
 * Nothing is dropped silently: whatever a format cannot express is a
 * warning at the pipeline or step that uses it ([emit-unsupported]), or an
 * error when the result would run differently ([emit-refused]), and then
 * no text is returned.  docs/emit.md lists every construct against every
 * format.
 *
 *	const struct emit_format *f = emit_format_find("github");
 *	char *text = emit_document(f, doc, &opts, &dl);
 */
#ifndef PIPEC_EMIT_H
#define PIPEC_EMIT_H

#include <stddef.h>

#include "ir/ir.h"

/* What the caller knows that the IR does not. */
struct emit_options {
	/* kube: the Secret step secrets are read from; NULL: "pipec-secrets" */
	const char *secret_name;
	/* container formats: the image of a step that has none (exec
	 * pipelines); NULL: "busybox" */
	const char *exec_image;
	/* the build the conditions were decided for: github's `on:` */
	const char *event, *branch;
	/* where the document came from, named in generated comments */
	const char *source;
};

struct emit_format {
	const char *name;
	const char *summary;
	char *(*emit)(const struct ir_doc *doc, const struct emit_options *opt,
		      struct diag_list *dl);
};

/* Every format, in the order `pipec help emit` lists them. */
extern const struct emit_format emit_formats[];
extern const size_t emit_nformats;

/* The format called `name`, or NULL. */
const struct emit_format *emit_format_find(const char *name);

/*
 * Warns about each pipeline and step the build context ruled out, which
 * the emitted text leaves out.  Call on the checked document before
 * val_normalize() removes them.
 */
void emit_report_skipped(const struct emit_format *f, const struct ir_doc *doc,
			 struct diag_list *dl);

/*
 * Renders the normalized `doc` as format `f`.  Returns the text (free()
 * it), or NULL after recording at least one error in `dl`.
 */
char *emit_document(const struct emit_format *f, const struct ir_doc *doc,
		    const struct emit_options *opt, struct diag_list *dl);

#endif
