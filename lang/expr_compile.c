/* lang/expr_compile.c — the public compile entry: one arena per
 * expression, parse → check (resolve, type, fold, specialise) → the result
 * type against what the caller wants; errors translated from a byte offset
 * to a line and column in the caller's file. Also the accessors and
 * expr_free. */
#include "lang/expr_internal.h"

#include <stdio.h>
#include <string.h>

/* Line and column of byte `off`: columns count characters (UTF-8 lead
 * bytes), as libyaml's marks do. */
static void translate(const char *src, size_t n, uint32_t off, expr_pos pos, expr_error *err)
{
	int line = pos.line > 0 ? pos.line : 1;
	int col = pos.col > 0 ? pos.col : 1;
	int cont = pos.cont_col > 0 ? pos.cont_col : 1;
	if (off > n)
		off = (uint32_t)n;
	for (uint32_t i = 0; i < off; i++) {
		unsigned char c = (unsigned char)src[i];
		if (c == '\n') {
			line++;
			col = cont;
		} else if ((c & 0xC0) != 0x80) {
			col++;
		}
	}
	err->line = line;
	err->col = col;
}

static expr *fail(arena *mem)
{
	arena_free(mem);
	return NULL;
}

expr *expr_compile(const expr_env *env, int scope, const char *src, size_t n,
	expr_pos pos, expr_type want, expr_error *err)
{
	expr_error dummy;
	if (!err)
		err = &dummy;
	memset(err, 0, sizeof *err);
	translate(src, 0, 0, pos, err);
	if (!env || (!src && n) || scope < EXPR_SCOPE_TOP || scope > EXPR_SCOPE_ITEM) {
		snprintf(err->msg, sizeof err->msg, "bad call to expr_compile");
		return NULL;
	}
	if (n > EXPR_MAX_SRC) {
		snprintf(err->msg, sizeof err->msg, "expression too long (%zu bytes, at most %d)", n, EXPR_MAX_SRC);
		return NULL;
	}
	/* a compiled expression takes about 40 bytes per source byte (nodes,
	 * code, strings): sized so that the first block usually holds it all
	 * and the arena is the expression's only allocation */
	arena mem;
	size_t block = 1024 + 48 * n;
	arena_init(&mem, block < (1u << 20) ? block : (1u << 20), 0);
	expr *e = arena_calloc(&mem, 1, sizeof *e);
	if (!e) {
		snprintf(err->msg, sizeof err->msg, "out of memory");
		return fail(&mem);
	}
	expr_ctx cx = { .env = env, .mem = &mem, .src = src };
	enode *root = expr_parse(&cx, src ? src : "", (uint32_t)n);
	if (root)
		root = expr_check(&cx, root, scope);
	/* a type that may be null passes only if its other types fit: `tier`
	 * (string or null) is not a condition */
	expr_type got = root && root->type != ET_NULL ? root->type & ~ET_NULL : root ? ET_NULL : 0;
	if (root && !(got & want)) {
		char w[64], g[64];
		expr_type ws = want & ET_ANY, gs = root->type;
		/* "expected boolean, got int": null is rarely the point */
		if (ws != ET_NULL)
			ws &= ~ET_NULL;
		if (gs != ET_NULL)
			gs &= ~ET_NULL;
		expr_errorf(&cx, root->start, "expected %s, got %s", expr_type_text(ws, w, sizeof w),
			expr_type_text(gs, g, sizeof g));
		root = NULL;
	}
	if (root && expr_prepare(&cx, root))
		root = NULL;
	if (!root) {
		translate(src, n, cx.err_pos, pos, err);
		snprintf(err->msg, sizeof err->msg, "%s", cx.err);
		return fail(&mem);
	}
	e->root = root;
	if (expr_code_build(&cx, e)) {
		translate(src, n, cx.err_pos, pos, err);
		snprintf(err->msg, sizeof err->msg, "%s", cx.err);
		return fail(&mem);
	}
	e->type = root->type;
	e->want = want;
	e->uses = cx.uses;
	e->scope = scope;
	e->host = env->host;
	e->owner = true;
	e->mem = mem;
	return e;
}

void expr_free(expr *e)
{
	if (!e || !e->owner)
		return;
	/* e lives in its own arena: copy the arena out before freeing it */
	arena mem = e->mem;
	arena_free(&mem);
}

expr_type expr_result_type(const expr *e)
{
	return e->type;
}

unsigned expr_uses(const expr *e)
{
	return e->uses;
}

bool expr_is_const(const expr *e, expr_value *out)
{
	if (e->root->op != OP_CONST)
		return false;
	if (out)
		*out = e->root->k;
	return true;
}
