/* rules/no_lua.c — stands in for rules/load_lua.c until the Lua loader is
 * written: a *.lua file in a program directory is refused at its first
 * byte. Remove this file from rules/local.mk when load_lua.c is added. */
#include "rules/load_impl.h"

int rl_load_lua(rl_loader *L, const char *name, const char *buf, size_t n)
{
	(void)buf;
	(void)n;
	rl_err_add(L->errs, name, 1, 1, "Lua rules are not supported yet");
	return -1;
}
