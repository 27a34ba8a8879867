/* lang/expr_env.c — the environment an expression is compiled against:
 * names, open namespaces and host functions that the caller declares.
 * Only declaration and lookup; nothing is evaluated here. Lookups are
 * linear: an environment holds a few dozen entries and is only read at
 * load time. */
#include "lang/expr_internal.h"

#include <stdlib.h>
#include <string.h>

expr_env *expr_env_new(void)
{
	return calloc(1, sizeof(expr_env));
}

void expr_env_free(expr_env *env)
{
	if (!env)
		return;
	for (size_t i = 0; i < env->nnames; i++)
		free(env->names[i].name);
	for (size_t i = 0; i < env->nnss; i++)
		free(env->nss[i].prefix);
	for (size_t i = 0; i < env->nfuncs; i++)
		free((char *)env->funcs[i].name);
	free(env->names);
	free(env->nss);
	free(env->funcs);
	free(env);
}

static bool grow(void **v, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return true;
	size_t nc = *cap ? *cap * 2 : 16;
	void *nv = realloc(*v, nc * elem);
	if (!nv)
		return false;
	*v = nv;
	*cap = nc;
	return true;
}

static bool name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n > 0 && n <= EXPR_MAX_NAME;
}

const expr_name_decl *expr_env_find_name(const expr_env *env, const char *s, size_t n)
{
	for (size_t i = 0; i < env->nnames; i++)
		if (strlen(env->names[i].name) == n && memcmp(env->names[i].name, s, n) == 0)
			return &env->names[i];
	return NULL;
}

/* The namespace whose "prefix." starts s, with a non-empty suffix. */
const expr_ns_decl *expr_env_find_ns(const expr_env *env, const char *s, size_t n)
{
	for (size_t i = 0; i < env->nnss; i++) {
		size_t pl = strlen(env->nss[i].prefix);
		if (n > pl + 1 && memcmp(env->nss[i].prefix, s, pl) == 0 && s[pl] == '.')
			return &env->nss[i];
	}
	return NULL;
}

const expr_func_decl *expr_env_find_func(const expr_env *env, const char *s, size_t n)
{
	for (size_t i = 0; i < env->nfuncs; i++)
		if (strlen(env->funcs[i].name) == n && memcmp(env->funcs[i].name, s, n) == 0)
			return &env->funcs[i];
	return NULL;
}

int expr_env_name(expr_env *env, int scope, const char *name, expr_type type, int slot)
{
	if (!env || !name_ok(name) || scope < EXPR_SCOPE_TOP || scope > EXPR_SCOPE_ITEM || slot < 0
	    || !(type & ET_ANY) || expr_env_find_name(env, name, strlen(name)))
		return -1;
	if (!grow((void **)&env->names, &env->capnames, env->nnames, sizeof *env->names))
		return -1;
	char *copy = strdup(name);
	if (!copy)
		return -1;
	env->names[env->nnames++] = (expr_name_decl){
		.name = copy, .scope = scope, .type = type & ET_ANY, .slot = slot,
	};
	return 0;
}

int expr_env_namespace(expr_env *env, int scope, const char *prefix, expr_type type,
	expr_ns_fn resolve, void *ud)
{
	if (!env || !name_ok(prefix) || !resolve || scope < EXPR_SCOPE_TOP || scope > EXPR_SCOPE_ITEM
	    || !(type & ET_ANY))
		return -1;
	size_t pl = strlen(prefix);
	if (prefix[pl - 1] == '.')
		pl--;   /* "attr." and "attr" mean the same */
	if (pl == 0)
		return -1;
	for (size_t i = 0; i < env->nnss; i++)
		if (strlen(env->nss[i].prefix) == pl && memcmp(env->nss[i].prefix, prefix, pl) == 0)
			return -1;
	if (!grow((void **)&env->nss, &env->capnss, env->nnss, sizeof *env->nss))
		return -1;
	char *copy = strndup(prefix, pl);
	if (!copy)
		return -1;
	env->nss[env->nnss++] = (expr_ns_decl){
		.prefix = copy, .scope = scope, .type = type & ET_ANY, .resolve = resolve, .ud = ud,
	};
	return 0;
}

int expr_env_func(expr_env *env, const expr_func_decl *decl)
{
	if (!env || !decl || !name_ok(decl->name) || decl->nargs < 0 || decl->nargs > 4
	    || expr_builtin_find(decl->name, strlen(decl->name)) >= 0
	    || expr_env_find_func(env, decl->name, strlen(decl->name)))
		return -1;
	for (int i = 0; i < decl->nargs; i++) {
		expr_type t = decl->arg_types[i];
		if (t != ET_PRED && (!(t & ET_ANY) || (t & ~ET_ANY)))
			return -1;
		if (t == ET_PRED && (decl->pred_scope < EXPR_SCOPE_TOP || decl->pred_scope > EXPR_SCOPE_ITEM))
			return -1;
	}
	if (decl->bind && (decl->nargs < 1 || !(decl->arg_types[0] & ET_STR)))
		return -1;
	if (decl->agg) {
		/* a native aggregate: one predicate over the rows, nothing bound */
		expr_type r = decl->agg == EXPR_AGG_ANY ? ET_BOOL : ET_INT;
		if (decl->agg < EXPR_AGG_ANY || decl->agg > EXPR_AGG_SUM || decl->nargs != 1
		    || decl->arg_types[0] != ET_PRED || decl->pred_scope != EXPR_SCOPE_ITEM
		    || decl->bind || (decl->ret && (decl->ret & ET_ANY) != r)
		    || (decl->agg == EXPR_AGG_SUM && decl->agg_slot < 0))
			return -1;
	}
	if (!grow((void **)&env->funcs, &env->capfuncs, env->nfuncs, sizeof *env->funcs))
		return -1;
	char *copy = strdup(decl->name);
	if (!copy)
		return -1;
	expr_func_decl d = *decl;
	d.name = copy;
	d.ret &= ET_ANY;
	if (d.agg)
		d.ret = d.agg == EXPR_AGG_ANY ? ET_BOOL : ET_INT;
	if (!d.ret)
		d.ret = ET_ANY;
	env->funcs[env->nfuncs++] = d;
	return 0;
}

void expr_env_set_host(expr_env *env, expr_host_fn call)
{
	if (env)
		env->host = call;
}

int expr_env_name_needs(expr_env *env, const char *name, unsigned needs)
{
	if (!env || !name)
		return -1;
	size_t n = strlen(name);
	for (size_t i = 0; i < env->nnames; i++)
		if (strcmp(env->names[i].name, name) == 0) {
			env->names[i].needs |= needs;
			return 0;
		}
	if (n && name[n - 1] == '.')
		n--;
	for (size_t i = 0; i < env->nnss; i++)
		if (strlen(env->nss[i].prefix) == n && memcmp(env->nss[i].prefix, name, n) == 0) {
			env->nss[i].needs |= needs;
			return 0;
		}
	return -1;
}
