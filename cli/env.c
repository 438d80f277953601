/*
 * env.c - `pipec run --env NAME=VALUE` and `--env-file FILE`: variables
 * every step's environment starts from.
 *
 * They are what a Drone runner's own environment is to a pipeline: the
 * lowest layer.  They are added to each pipeline's shared environment
 * for the names the pipeline does not set, so a pipeline's or a step's
 * own variable of the same name wins, and a secret of that name replaces
 * either when the step starts (runtime/sched.c).  They are plain values:
 * never masked, never taken for secrets, and the IR the file compiles to
 * does not change; only the run sees them.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "runtime/secrets.h"

int cli_env_arg(struct rt_secrets *vars, const char *arg, struct diag_list *dl)
{
	const char *eq = strchr(arg, '=');
	struct ir_pos pos = {.file = "--env"};
	if (!eq || !cli_valid_name(arg, (size_t)(eq - arg)))
		return diag_error(dl, pos, "invalid-value", "'%s' is not NAME=VALUE", arg);
	char *name = strndup(arg, (size_t)(eq - arg));
	int r = name ? rt_secrets_set(vars, name, eq + 1) : -1;
	free(name);
	return r < 0 ? diag_error(dl, pos, "invalid-value", "out of memory") : 0;
}

int cli_env_file(struct rt_secrets *vars, const char *path, struct diag_list *dl)
{
	return cli_dotenv(vars, path, "env", "io-error", "invalid-value", dl);
}

void cli_env_apply(struct ir_doc *doc, const struct rt_secrets *vars, struct ir_arena *a)
{
	for (size_t i = 0; vars->n && i < doc->npipelines; i++) {
		struct ir_env *env = &doc->pipelines[i].environment;
		struct ir_kv *v = ir_calloc(a, env->n + vars->n + 1, sizeof *v);
		size_t k = env->n;
		if (env->n)
			memcpy(v, env->v, env->n * sizeof *v);
		for (size_t j = 0; j < vars->n; j++) {
			const char *key = vars->v[j].key;
			/* the store keeps a name once, its last value */
			if (!ir_env_get(env, key))
				v[k++] = (struct ir_kv){ir_strdup(a, key),
							ir_strdup(a, vars->v[j].value)};
		}
		*env = (struct ir_env){v, k};
	}
}
