/*
 * images.c - what a step runs: an image on container backends, a script
 * or command on the local backend, and image references pinned to a tag.
 *
 * An image reference is `[registry[:port]/]path[:tag][@digest]`, read by
 * ir_image_check(), the parser the container backends use, so an image
 * they would refuse is refused here first [image-invalid].  An untagged
 * or `:latest` image changes under the pipeline's feet, so it is a
 * warning; a digest pins it whatever the tag says.
 *
 * A plugin step is configured through `settings`, which the frontend
 * lowers to PLUGIN_* variables; `commands` on the same step replace the
 * plugin's own program, so the settings reach nothing that reads them.
 *
 * On the local backend a step runs its commands, so one without any runs
 * nothing [missing-command] -- unless its pipeline was written for
 * Drone's vm runner, whose machines run a step's image in a container:
 * there a plugin step (an image and its settings) is what Drone runs, and
 * only running it here is refused, by the local backend's own check.
 */
#include <string.h>

#include "validate/internal.h"

static bool is_blank(const char *s)
{
	return !s || !*s;
}

/* A valid reference without a tag or with `latest` is a warning. */
static void check_reference(struct val_ctx *c, const struct ir_step *s)
{
	struct ir_image_ref r;
	if (ir_image_check(s, &r, c->dl) < 0 || r.digest[0])
		return;
	if (r.tag_implied)
		diag_warning(c->dl, s->pos, "image-latest",
			     "image '%s' of step '%s' has no tag, so it means 'latest'; pin a version",
			     s->image, s->name);
	else if (strcmp(r.tag, "latest") == 0)
		diag_warning(c->dl, s->pos, "image-latest",
			     "image '%s' of step '%s' is tagged 'latest'; pin a version", s->image,
			     s->name);
}

/* Drone's vm runner runs a step's image on the machine it makes. */
static bool image_runs(const struct ir_pipeline *p, const struct ir_step *s)
{
	return p->runner && strcmp(p->runner, "vm") == 0 && !is_blank(s->image);
}

static void check_plugin(struct val_ctx *c, const struct ir_step *s)
{
	if (is_blank(s->script))
		return;
	for (size_t i = 0; i < s->environment.n; i++)
		if (s->environment.v[i].key[0] == 'P' &&
		    strncmp(s->environment.v[i].key, "PLUGIN_", 7) == 0) {
			diag_warning(c->dl, s->pos, "settings-with-commands",
				     "step '%s' has both settings and commands: the commands replace the plugin, which never reads its settings",
				     s->name);
			return;
		}
}

static void check_step(struct val_ctx *c, const struct ir_pipeline *p, const struct ir_step *s)
{
	check_plugin(c, s);
	if (s->incomplete)
		return;         /* what it lacks was reported where it was written */
	if (p->backend == IR_BACKEND_LOCAL) {
		if (is_blank(s->script) && s->command.n == 0 &&
		    ir_step_extra(s)->entrypoint.n == 0 && !image_runs(p, s))
			diag_error(c->dl, s->pos, "missing-command",
				   "local step '%s' has neither commands nor a command to run", s->name);
		return;
	}
	if (is_blank(s->image))
		diag_error(c->dl, s->pos, "missing-image", "step '%s' has no image", s->name);
	else
		check_reference(c, s);
}

void val_check_images(struct val_ctx *c)
{
	for (size_t i = 0; i < c->doc->npipelines; i++) {
		const struct ir_pipeline *p = &c->doc->pipelines[i];
		for (size_t j = 0; j < p->nsteps && val_pipeline_fits(p); j++)
			if (p->steps[j].name)
				check_step(c, p, &p->steps[j]);
	}
}
