/* rules/no_lua.c — the stand-in for rules/load_lua.c in a build without
 * Lua rules: a *.lua file in a program directory is refused at its first
 * byte. Not compiled by default (rules/local.mk builds load_lua.c); kept
 * for a Lua-less build (replace $(LUA_RULES_SOURCES) by it). */
#include "rules/load_impl.h"

int rl_load_lua(rl_loader *L, const char *name, const char *buf, size_t n)
{
	(void)buf;
	(void)n;
	rl_err_add(L->errs, name, 1, 1, "Lua rules are not supported yet");
	return -1;
}
