/* lang/expr_parse.c — the grammar: tokens to a tree of enodes in the
 * expression's arena. Precedence climbing by one function per level, the
 * rule written above it. Knows nothing about names or types (expr_check.c
 * resolves them); bounds its own recursion and the height of the tree so
 * that no later pass can run out of stack. */
#include "lang/expr_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct parser {
	expr_ctx *cx;
	expr_lexer lx;
	expr_token tok;      /* current token */
	int depth;
	bool failed;
} parser;

int expr_errorf(expr_ctx *cx, uint32_t pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cx->err, sizeof cx->err, fmt, ap);
	va_end(ap);
	cx->err_pos = pos;
	return -1;
}

enode *expr_node(expr_ctx *cx, int op, uint32_t pos, uint32_t start)
{
	enode *n = arena_calloc(cx->mem, 1, sizeof *n);
	if (!n) {
		expr_errorf(cx, pos, "out of memory");
		return NULL;
	}
	n->op = (uint8_t)op;
	n->pos = pos;
	n->start = start;
	n->depth = 1;
	return n;
}

static void advance(parser *p)
{
	expr_lex_next(&p->lx, &p->tok);
	if (p->tok.t == TK_ERR && !p->failed) {
		p->failed = true;
		p->cx->err_pos = p->tok.pos;
		/* lexer message already in cx->err */
	}
}

static enode *fail(parser *p, uint32_t pos, const char *fmt, const char *arg)
{
	if (!p->failed) {
		p->failed = true;
		expr_errorf(p->cx, pos, fmt, arg);
	}
	return NULL;
}

static enode *unexpected(parser *p)
{
	if (p->tok.t == TK_ERR)
		return NULL;
	return fail(p, p->tok.pos, "unexpected %s", expr_tok_text(p->tok.t));
}

/* A node over children: its height is checked here, because a long chain
 * of `a + b + c ...` is deep without any parser recursion. */
static enode *node2(parser *p, int op, uint32_t pos, enode *a, enode *b)
{
	enode *n = expr_node(p->cx, op, pos, a->start);
	if (!n)
		return fail(p, pos, "%s", "out of memory");
	n->a = a;
	n->b = b;
	unsigned d = a->depth;
	if (b && b->depth > d)
		d = b->depth;
	if (d + 1 > EXPR_MAX_DEPTH)
		return fail(p, pos, "%s", "expression nested too deeply");
	n->depth = (uint16_t)(d + 1);
	return n;
}

static enode *parse_or(parser *p);

static bool enter(parser *p)
{
	if (++p->depth > EXPR_MAX_DEPTH) {
		fail(p, p->tok.pos, "%s", "expression nested too deeply");
		return false;
	}
	return true;
}

/* args := expr (',' expr)*   -- between the brackets of a call or list */
static enode *parse_seq(parser *p, enode *n, expr_tok close, int max)
{
	/* grown by doubling in the arena: the copies left behind are small and
	 * go with the expression */
	enode **v = NULL;
	int cnt = 0, cap = 0;
	unsigned d = 0;
	if (p->tok.t != close) {
		for (;;) {
			if (cnt >= max)
				return fail(p, p->tok.pos, close == TK_RB ? "list too long (at most %s elements)"
					: "too many arguments (at most %s)", close == TK_RB ? "1024" : "16");
			enode *e = parse_or(p);
			if (!e)
				return NULL;
			if (cnt == cap) {
				int ncap = cap ? cap * 2 : 4;
				enode **nv = arena_alloc(p->cx->mem, (size_t)ncap * sizeof *nv);
				if (!nv)
					return fail(p, e->pos, "%s", "out of memory");
				if (cnt)
					memcpy(nv, v, (size_t)cnt * sizeof *nv);
				v = nv;
				cap = ncap;
			}
			v[cnt++] = e;
			if (e->depth > d)
				d = e->depth;
			if (p->tok.t != TK_COMMA)
				break;
			advance(p);
		}
	}
	if (p->tok.t != close) {
		if (p->tok.t == TK_ERR)
			return NULL;
		return fail(p, p->tok.pos, close == TK_RB ? "expected ',' or ']', got %s"
			: "expected ',' or ')', got %s", expr_tok_text(p->tok.t));
	}
	advance(p);
	if (d + 1 > EXPR_MAX_DEPTH)
		return fail(p, n->pos, "%s", "expression nested too deeply");
	n->depth = (uint16_t)(d + 1);
	n->nargs = (uint16_t)cnt;
	n->args = v;
	return n;
}

/* primary := INT | FLOAT | STR | true | false | null
 *          | NAME | NAME '(' args ')' | '(' or ')' | '[' args ']' */
static enode *parse_primary(parser *p)
{
	expr_token t = p->tok;
	enode *n;
	switch (t.t) {
	case TK_INT:
		if (t.int_min)
			return fail(p, t.pos, "%s", "integer literal out of range");
		/* fallthrough */
	case TK_FLOAT: case TK_STR: case TK_TRUE: case TK_FALSE: case TK_NULL:
		n = expr_node(p->cx, OP_CONST, t.pos, t.pos);
		if (!n)
			return fail(p, t.pos, "%s", "out of memory");
		if (t.t == TK_INT) { n->k = expr_int(t.i); n->type = ET_INT; }
		else if (t.t == TK_FLOAT) { n->k = expr_float(t.f); n->type = ET_FLOAT; }
		else if (t.t == TK_STR) { n->k = expr_str(t.s, t.n); n->type = ET_STR; }
		else if (t.t == TK_NULL) { n->k = expr_null(); n->type = ET_NULL; }
		else { n->k = expr_bool(t.t == TK_TRUE); n->type = ET_BOOL; }
		advance(p);
		return n;
	case TK_NAME:
		advance(p);
		if (p->tok.t == TK_LP) {
			n = expr_node(p->cx, OP_CALL, t.pos, t.pos);
			if (!n)
				return fail(p, t.pos, "%s", "out of memory");
			n->name = t.s;
			n->name_n = t.n;
			advance(p);
			return parse_seq(p, n, TK_RP, EXPR_MAX_ARGS);
		}
		n = expr_node(p->cx, OP_NAME, t.pos, t.pos);
		if (!n)
			return fail(p, t.pos, "%s", "out of memory");
		n->name = t.s;
		n->name_n = t.n;
		return n;
	case TK_LP: {
		advance(p);
		enode *e = parse_or(p);
		if (!e)
			return NULL;
		if (p->tok.t != TK_RP) {
			if (p->tok.t == TK_ERR)
				return NULL;
			return fail(p, p->tok.pos, "expected ')', got %s", expr_tok_text(p->tok.t));
		}
		advance(p);
		/* the parenthesis is where the marketer sees it start */
		e->start = t.pos;
		return e;
	}
	case TK_LB:
		n = expr_node(p->cx, OP_LIST, t.pos, t.pos);
		if (!n)
			return fail(p, t.pos, "%s", "out of memory");
		advance(p);
		return parse_seq(p, n, TK_RB, EXPR_MAX_LIST);
	default:
		return unexpected(p);
	}
}

/* unary := '-' unary | primary */
static enode *parse_unary(parser *p)
{
	if (p->tok.t != TK_MINUS)
		return parse_primary(p);
	expr_token t = p->tok;
	advance(p);
	if (p->tok.t == TK_INT && p->tok.int_min) {
		/* -9223372036854775808 is a literal, not the negation of an
		 * integer that does not exist */
		enode *n = expr_node(p->cx, OP_CONST, t.pos, t.pos);
		if (!n)
			return fail(p, t.pos, "%s", "out of memory");
		n->k = expr_int(INT64_MIN);
		n->type = ET_INT;
		advance(p);
		return n;
	}
	if (!enter(p))
		return NULL;
	enode *a = parse_unary(p);
	p->depth--;
	if (!a)
		return NULL;
	enode *n = node2(p, OP_NEG, t.pos, a, NULL);
	if (n)
		n->start = t.pos;
	return n;
}

/* mul := unary (('*' | '/' | '//' | '%') unary)* */
static enode *parse_mul(parser *p)
{
	enode *a = parse_unary(p);
	while (a) {
		int op;
		switch (p->tok.t) {
		case TK_STAR: op = OP_MUL; break;
		case TK_SLASH: op = OP_DIV; break;
		case TK_DSLASH: op = OP_IDIV; break;
		case TK_PERCENT: op = OP_MOD; break;
		default: return a;
		}
		uint32_t pos = p->tok.pos;
		advance(p);
		enode *b = parse_unary(p);
		if (!b)
			return NULL;
		a = node2(p, op, pos, a, b);
	}
	return a;
}

/* add := mul (('+' | '-') mul)* */
static enode *parse_add(parser *p)
{
	enode *a = parse_mul(p);
	while (a && (p->tok.t == TK_PLUS || p->tok.t == TK_MINUS)) {
		int op = p->tok.t == TK_PLUS ? OP_ADD : OP_SUB;
		uint32_t pos = p->tok.pos;
		advance(p);
		enode *b = parse_mul(p);
		if (!b)
			return NULL;
		a = node2(p, op, pos, a, b);
	}
	return a;
}

static int cmp_op(expr_tok t)
{
	switch (t) {
	case TK_EQ: return OP_EQ;
	case TK_NE: return OP_NE;
	case TK_LT: return OP_LT;
	case TK_LE: return OP_LE;
	case TK_GT: return OP_GT;
	case TK_GE: return OP_GE;
	case TK_IN: return OP_IN;
	default: return -1;
	}
}

/* cmp := add (('==' | '!=' | '<' | '<=' | '>' | '>=' | 'in') add)?
 * Not associative: `a < b < c` reads as a range test to a marketer but
 * would compare a boolean; it is refused. */
static enode *parse_cmp(parser *p)
{
	enode *a = parse_add(p);
	if (!a)
		return NULL;
	int op = cmp_op(p->tok.t);
	if (op < 0)
		return a;
	uint32_t pos = p->tok.pos;
	advance(p);
	enode *b = parse_add(p);
	if (!b)
		return NULL;
	if (cmp_op(p->tok.t) >= 0)
		return fail(p, p->tok.pos, "comparisons cannot be chained: use 'and' before %s",
			expr_tok_text(p->tok.t));
	return node2(p, op, pos, a, b);
}

/* not := 'not' not | cmp */
static enode *parse_not(parser *p)
{
	if (p->tok.t != TK_NOT)
		return parse_cmp(p);
	uint32_t pos = p->tok.pos;
	advance(p);
	if (!enter(p))
		return NULL;
	enode *a = parse_not(p);
	p->depth--;
	if (!a)
		return NULL;
	enode *n = node2(p, OP_NOT, pos, a, NULL);
	if (n)
		n->start = pos;
	return n;
}

/* and := not ('and' not)* */
static enode *parse_and(parser *p)
{
	enode *a = parse_not(p);
	while (a && p->tok.t == TK_AND) {
		uint32_t pos = p->tok.pos;
		advance(p);
		enode *b = parse_not(p);
		if (!b)
			return NULL;
		a = node2(p, OP_AND, pos, a, b);
	}
	return a;
}

/* or := and ('or' and)* */
static enode *parse_or(parser *p)
{
	if (!enter(p))
		return NULL;
	enode *a = parse_and(p);
	while (a && p->tok.t == TK_OR) {
		uint32_t pos = p->tok.pos;
		advance(p);
		enode *b = parse_and(p);
		if (!b) {
			a = NULL;
			break;
		}
		a = node2(p, OP_OR, pos, a, b);
	}
	p->depth--;
	return a;
}

/* expr := or EOF */
enode *expr_parse(expr_ctx *cx, const char *src, uint32_t n)
{
	parser p = { .cx = cx };
	expr_lex_init(&p.lx, src, n, cx->mem, cx->err);
	advance(&p);
	if (p.failed)
		return NULL;
	if (p.tok.t == TK_EOF) {
		expr_errorf(cx, p.tok.pos, "empty expression");
		return NULL;
	}
	enode *e = parse_or(&p);
	if (!e || p.failed)
		return NULL;
	if (p.tok.t != TK_EOF) {
		unexpected(&p);
		return NULL;
	}
	return e;
}
