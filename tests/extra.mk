# The backend plugin tests/e2e/run_local.sh loads with --backend-plugin.
$(B)/tests/plugin/echo.so: tests/plugin/echo.c runtime/runtime.h runtime/plugin.h runtime/options.h ir/ir.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -std=c11 -Wall -Wextra -Werror -fPIC -shared -o $@ $<
TEST_EXTRA += $(B)/tests/plugin/echo.so
