/*
 * plugin.c - loading shared objects: a missing object or symbol is a
 * diagnostic, and a library's constructor work that pipec can defer is
 * deferred for the load alone.  GnuTLS stands in for such a library (it
 * is in the Docker module's closure): gnutls_rnd() fails with
 * GNUTLS_E_LIB_IN_ERROR_STATE until the library is initialised, which
 * tells whether its constructor did the work.  Criterion runs each test
 * in its own process, so each loads GnuTLS afresh, unless the test
 * binary itself already links it (sanitizer builds may): then only the
 * environment is checked.
 */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/internal.h"
#include "runtime/plugin.h"

#define GNUTLS "libgnutls.so.30"
#define GNUTLS_E_LIB_IN_ERROR_STATE (-402)
#define PRELOADED 1         /* no GnuTLS result is 1 */

typedef int rnd_fn(int level, void *data, size_t len);

/* gnutls_rnd() of GnuTLS opened through rt_plugin_open(): 0 once
 * initialised; PRELOADED when it was loaded before. */
static int fresh_gnutls_rnd(void)
{
	void *probe = dlopen(GNUTLS, RTLD_NOW | RTLD_NOLOAD);
	bool preloaded = probe != NULL;
	if (probe)
		dlclose(probe);
	struct diag_list dl;
	diag_list_init(&dl);
	void *h;
	rnd_fn *rnd;
	*(void **)&rnd = rt_plugin_open(GNUTLS, "gnutls_rnd", &h, &dl);
	if (!rnd) {
		diag_list_release(&dl);
		cr_skip_test("GnuTLS (libgnutls30) is not installed");
	}
	cr_assert_eq(dl.len, 0);
	char buf[16];
	int rc = rnd(0, buf, sizeof buf);
	rt_plugin_close(h);
	diag_list_release(&dl);
	return preloaded ? PRELOADED : rc;
}

Test(plugin, defers_gnutls_init_and_leaves_env_unset)
{
	unsetenv("GNUTLS_NO_IMPLICIT_INIT");
	int rc = fresh_gnutls_rnd();
	cr_assert(rc == GNUTLS_E_LIB_IN_ERROR_STATE || rc == PRELOADED, "gnutls_rnd() gave %d", rc);
	cr_assert_null(getenv("GNUTLS_NO_IMPLICIT_INIT"));
}

Test(plugin, keeps_the_users_choice)
{
	setenv("GNUTLS_NO_IMPLICIT_INIT", "0", 1);
	int rc = fresh_gnutls_rnd();
	cr_assert(rc == 0 || rc == PRELOADED, "gnutls_rnd() gave %d", rc);
	cr_assert_str_eq(getenv("GNUTLS_NO_IMPLICIT_INIT"), "0");
}

Test(plugin, missing_object_is_a_diagnostic)
{
	struct diag_list dl;
	diag_list_init(&dl);
	void *h = (void *)1;
	unsetenv("GNUTLS_NO_IMPLICIT_INIT");
	cr_assert_null(rt_plugin_open("/nonexistent/plugin.so", "x", &h, &dl));
	cr_assert_null(h);
	cr_assert_eq(dl.nerrors, 1);
	cr_assert_str_eq(dl.items[0].rule, "backend-plugin");
	cr_assert_null(getenv("GNUTLS_NO_IMPLICIT_INIT"));
	diag_list_release(&dl);
}

Test(plugin, missing_symbol_is_a_diagnostic)
{
	struct diag_list dl;
	diag_list_init(&dl);
	void *h = (void *)1;
	cr_assert_null(rt_plugin_open(GNUTLS, "no_such_symbol_here", &h, &dl));
	cr_assert_null(h);
	cr_assert_eq(dl.nerrors, 1);
	cr_assert(strstr(dl.items[0].message, "no_such_symbol_here") != NULL);
	diag_list_release(&dl);
}
