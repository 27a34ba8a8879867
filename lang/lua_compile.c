/* lang/lua_compile.c — a Lua function into an expression with the same
 * answers (lang/lua_compile.h says what and why).
 *
 * How: the function's bytecode (lua_bytecode.c) is executed symbolically.
 * A path holds the registers of every inlined frame, the conditions taken
 * so far (atoms: expression text, maybe negated) and what it learned about
 * values on the way (facts: "this value is nil here", "is truthy here").
 * A branch on something only known at run time forks the path. A path
 * ends at the function's return; a condition is the `or` of the paths
 * that return true (each the `and` of its atoms), a number the value of
 * the only path.
 *
 * The rule for every instruction is "do what Lua does, or give up": an
 * operation is translated only where the expression language is known to
 * give Lua's answer for every value the operands may have on that path
 * (`==` on nil and strings, `<` on non-nil numbers or strings, integer
 * arithmetic, truthiness); anything else gives up. Errors agree too: the
 * atoms the expression evaluates are ones Lua evaluates on the same input
 * (both short-circuit along one decision tree), and a path that returns
 * false but holds an atom that can fail joins the formula up to that
 * atom, ending in `and false` (see finish_bool); a value Lua computes and
 * never reads is evaluated where Lua computes it (force).
 *
 * Bounded: 64 paths, 20,000 instructions over all paths, 8 nested calls,
 * 4 KiB of expression. */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/lua_compile_int.h"

/* The ends of one run: conditions (LC_WANT_BOOL) or the value. */
typedef struct run {
	int want;
	state *work[LC_MAX_PATHS];
	int nwork;
	int npaths;
	/* LC_WANT_BOOL: the text of each path that can return true, and the
	 * atoms of those that return false */
	const char *kept[LC_MAX_PATHS];
	const state *kept_s[LC_MAX_PATHS];
	int nkept;
	const state *dropped[LC_MAX_PATHS];
	int ndropped;
	bool always;         /* a path returns true unconditionally */
	/* LC_WANT_NUM */
	const lc_val *value;
} run;

/* ---- paths ------------------------------------------------------------------ */

static lc_val **new_regs(lc *c, const lproto *p)
{
	lc_val **r = arena_calloc(&c->mem, p->maxstack ? p->maxstack : 1, sizeof *r);
	if (!r) {
		lc_fail(c, "out of memory");
		return NULL;
	}
	for (int i = 0; i < p->maxstack; i++)
		r[i] = (lc_val *)&lc_nil_v;
	return r;
}

static frame *clone_frames(lc *c, const frame *f)
{
	if (!f)
		return NULL;
	frame *n = arena_alloc(&c->mem, sizeof *n);
	lc_val **r = n ? arena_alloc(&c->mem, (f->p->maxstack ? f->p->maxstack : 1) * sizeof *r) : NULL;
	if (!n || !r) {
		lc_fail(c, "out of memory");
		return NULL;
	}
	*n = *f;
	memcpy(r, f->reg, f->p->maxstack * sizeof *r);
	n->reg = r;
	n->parent = clone_frames(c, f->parent);
	return n;
}

static state *clone_state(lc *c, const state *s)
{
	state *n = arena_alloc(&c->mem, sizeof *n);
	if (!n) {
		lc_fail(c, "out of memory");
		return NULL;
	}
	*n = *s;
	n->top = clone_frames(c, s->top);
	return n;
}

/* Does any instruction after `from` write register r? (A closure made at
 * `from` shares r with the frame; its copy here is of r's value then.) */
static bool written_after(const lproto *p, uint32_t from, int r)
{
	for (uint32_t pc = from + 1; pc < p->ncode; pc++) {
		uint32_t i = p->code[pc];
		int op = LOP_OP(i), a = LOP_A(i);
		switch (op) {
		case LOP_SETTABUP: case LOP_SETTABLE: case LOP_SETI: case LOP_SETFIELD:
		case LOP_JMP: case LOP_EQ: case LOP_LT: case LOP_LE: case LOP_EQK: case LOP_EQI:
		case LOP_LTI: case LOP_LEI: case LOP_GTI: case LOP_GEI: case LOP_TEST:
		case LOP_RETURN: case LOP_RETURN0: case LOP_RETURN1: case LOP_MMBIN:
		case LOP_MMBINI: case LOP_MMBINK: case LOP_CLOSE: case LOP_EXTRAARG:
		case LOP_SETUPVAL:
			break;
		case LOP_CALL: case LOP_TAILCALL: case LOP_LOADNIL: case LOP_VARARG:
		case LOP_TFORCALL: case LOP_SETLIST:
			if (r >= a)
				return true;
			break;
		case LOP_SELF:
			if (r == a || r == a + 1)
				return true;
			break;
		default:
			if (r == a)
				return true;
			break;
		}
	}
	return false;
}

static bool set_reg(lc *c, frame *f, int r, lc_val *v)
{
	if (r < 0 || r >= f->p->maxstack) {
		lc_fail(c, "register out of range");
		return false;
	}
	f->reg[r] = v;
	return true;
}

static lc_val *reg(lc *c, const frame *f, int r)
{
	if (r < 0 || r >= f->p->maxstack) {
		lc_fail(c, "register out of range");
		return (lc_val *)&lc_nil_v;
	}
	return f->reg[r];
}

static lc_val *konst(lc *c, const frame *f, int k)
{
	if (k < 0 || (uint32_t)k >= f->p->nk) {
		lc_fail(c, "constant out of range");
		return (lc_val *)&lc_nil_v;
	}
	const lproto_k *pk = &f->p->k[k];
	lc_val *v;
	switch (pk->t) {
	case LUA_TBOOLEAN: return lc_bool(c, pk->b);
	case LUA_TNUMBER: return pk->isint ? lc_int(c, pk->i) : lc_flt(c, pk->f);
	case LUA_TSTRING:
		v = lc_newv(c, VK_STR);
		v->s = pk->s;
		v->n = pk->n;
		return v;
	default:
		return (lc_val *)&lc_nil_v;
	}
}

/* A Lua function value's code and upvalues, for a call. */
static bool open_fn(lc *c, lc_val *fn)
{
	lua_State *L = c->L;

	if (fn->p)
		return true;
	if (!lua_checkstack(L, 4)) {
		lc_fail(c, "Lua stack exhausted");
		return false;
	}
	lua_rawgeti(L, c->anchor, fn->anchor);
	int fi = lua_gettop(L);
	lproto *p = luasb_proto_read(L, fi, &c->mem);
	if (!p) {
		lua_pop(L, 1);
		lc_fail(c, "calls a function whose code it cannot read");
		return false;
	}
	lc_val **up = arena_calloc(&c->mem, p->nup ? p->nup : 1, sizeof *up);
	for (uint32_t i = 0; up && i < p->nup; i++) {
		if (!lua_getupvalue(L, fi, (int)i + 1)) {
			up[i] = (lc_val *)&lc_nil_v;
			continue;
		}
		up[i] = lc_from_lua(c, lua_gettop(L));
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	if (!up) {
		lc_fail(c, "out of memory");
		return false;
	}
	fn->p = p;
	fn->up = up;
	return true;
}

static frame *enter(lc *c, lc_val *fn, lc_val *const *args, int nargs)
{
	if (!open_fn(c, fn))
		return NULL;
	const lproto *p = fn->p;
	if (p->is_vararg) {
		lc_fail(c, "a function with '...'");
		return NULL;
	}
	frame *f = arena_calloc(&c->mem, 1, sizeof *f);
	if (!f) {
		lc_fail(c, "out of memory");
		return NULL;
	}
	f->p = p;
	f->up = fn->up;
	f->top = -1;
	f->reg = new_regs(c, p);
	if (!f->reg)
		return NULL;
	for (int i = 0; i < p->numparams && i < p->maxstack; i++)
		f->reg[i] = i < nargs ? args[i] : (lc_val *)&lc_nil_v;
	return f;
}

/* The `and` of a path's first n atoms. */
static const char *and_text(lc *c, const state *s, uint32_t n)
{
	char buf[LC_MAX_TEXT + 1];
	size_t o = 0;
	for (uint32_t i = 0; i < n; i++) {
		int k = snprintf(buf + o, sizeof buf - o, "%s%s(%s)", i ? " and " : "",
			s->atoms[i].neg ? "not " : "", s->atoms[i].t);
		if (k < 0 || (size_t)k >= sizeof buf - o) {
			lc_fail(c, "expression too long");
			return NULL;
		}
		o += (size_t)k;
	}
	return lc_printf(c, "%s", buf);
}

/* A path that can return true (or fail): the `and` of its atoms. */
static void keep_path(lc *c, run *rn, state *s)
{
	if (s->natoms == 0) {
		rn->always = true;
		return;
	}
	const char *t = and_text(c, s, s->natoms);
	if (!t)
		return;
	rn->kept_s[rn->nkept] = s;
	rn->kept[rn->nkept++] = t;
}

/* The path ends with v returned from its outermost frame. */
static void finish(lc *c, run *rn, state *s, const lc_val *v)
{
	v = lc_resolve(c, s, v);
	rn->npaths++;
	if (rn->want == LC_WANT_NUM) {
		if (rn->npaths > 1) {
			lc_fail(c, "a number that depends on conditions");
			return;
		}
		if (!(v->k == VK_INT || v->k == VK_FLT || (v->k == VK_TERM && !(v->types & ~LC_NUM)))) {
			lc_fail(c, "returns something that may not be a number");
			return;
		}
		/* the terms evaluated for their failure alone (force) must be
		 * parts of the number, which evaluates them all: no `and` here */
		for (uint32_t i = 0; i < s->natoms; i++)
			if (!s->atoms[i].forced || v->k != VK_TERM || !strstr(v->s, s->atoms[i].forced)) {
				lc_fail(c, "a number next to a computation that can fail");
				return;
			}
		rn->value = v;
		return;
	}
	if (!(v->k == VK_NIL || v->k == VK_BOOL || (v->k == VK_TERM && !(v->types & ~(LC_BOOL | LC_NIL))))) {
		lc_fail(c, "returns something that may not be true, false or nil");
		return;
	}
	cond cd;
	int t = lc_truth(c, s, v, &cd);
	if (t == 0) {
		rn->dropped[rn->ndropped++] = s;
		return;
	}
	if (t == 2)
		lc_add_atom(c, s, cd.t, cd.neg, cd.mayfail);
	keep_path(c, rn, s);
}

/* The path ends in a Lua error (indexing nil, comparing or adding nil):
 * the expression fails at the same point, through the host's error
 * function. Only conditions can say it; a number gives up. */
static void end_error(lc *c, run *rn, state *s, const char *msg)
{
	if (rn->want != LC_WANT_BOOL || !c->h->error_fn) {
		lc_fail(c, "%s (Lua raises here)", msg);
		return;
	}
	const char *q = lc_quote(c, msg, strlen(msg));
	if (!q)
		return;
	rn->npaths++;
	lc_add_atom(c, s, lc_printf(c, "%s(%s)", c->h->error_fn, q), false, true);
	keep_path(c, rn, s);
}

/* Before an operation Lua raises on when v is nil: where v may be nil on
 * this path, the nil case becomes its own path ending in that error, and
 * this path goes on knowing v is there. true when this path itself ended
 * (v is nil here for sure). */
static bool guard_nil(lc *c, run *rn, state *s, const lc_val *v, const char *msg)
{
	v = lc_resolve(c, s, v);
	if (v->k == VK_NIL) {
		end_error(c, rn, s, msg);
		return true;
	}
	if ((v->k != VK_OBJ && v->k != VK_TERM) || lc_nonnil(s, v) || !c->h->error_fn ||
	    rn->want != LC_WANT_BOOL)
		return false; /* the operation decides (and gives up if it must) */
	cond cd;
	if (lc_equal(c, s, v, &lc_nil_v, &cd) != 2)
		return false;
	if (rn->npaths + rn->nwork + 2 > LC_MAX_PATHS) {
		lc_fail(c, "too many paths");
		return true;
	}
	state *s2 = clone_state(c, s);
	if (!s2)
		return true;
	lc_add_atom(c, s2, cd.t, cd.neg, cd.mayfail);
	lc_add_fact(c, s2, cd.id, cd.if_true);
	end_error(c, rn, s2, msg);
	lc_add_atom(c, s, cd.t, !cd.neg, cd.mayfail);
	lc_add_fact(c, s, cd.id, cd.if_false);
	return false;
}

/* A conditional instruction: the next one is the jump taken when the
 * condition's value equals k. */
static void cond_jump(lc *c, run *rn, state *s, int r, const cond *cd, int k)
{
	frame *f = s->top;
	if (f->pc >= f->p->ncode || LOP_OP(f->p->code[f->pc]) != LOP_JMP) {
		lc_fail(c, "a test not followed by a jump");
		return;
	}
	int sj = LOP_SJ(f->p->code[f->pc]);
	if (sj < 0) {
		lc_fail(c, "a loop");
		return;
	}
	uint32_t skip = f->pc + 1, target = f->pc + 1 + (uint32_t)sj;
	if (r != 2) {
		f->pc = r == k ? target : skip;
		return;
	}
	if (rn->nwork >= LC_MAX_PATHS || rn->npaths + rn->nwork + 1 > LC_MAX_PATHS) {
		lc_fail(c, "too many paths");
		return;
	}
	state *s2 = clone_state(c, s);
	if (!s2)
		return;
	lc_add_atom(c, s, cd->t, cd->neg, cd->mayfail);
	lc_add_fact(c, s, cd->id, cd->if_true);
	s->top->pc = k == 1 ? target : skip;
	lc_add_atom(c, s2, cd->t, !cd->neg, cd->mayfail);
	lc_add_fact(c, s2, cd->id, cd->if_false);
	s2->top->pc = k == 0 ? target : skip;
	rn->work[rn->nwork++] = s2;
}

/* Return v from the top frame; true when the path ended. */
/* Return nret values from the top frame; true when the path ended. */
static bool do_return(lc *c, run *rn, state *s, lc_val *const *vals, int nret)
{
	frame *f = s->top;
	if (!f->parent) {
		/* the host reads the first value */
		finish(c, rn, s, nret > 0 ? vals[0] : (lc_val *)&lc_nil_v);
		return true;
	}
	frame *pf = f->parent;
	/* what the caller asked for, nil-padded; or all of them as the
	 * caller's next call's last arguments (ctx:any_item(cat("x"))) */
	int n = f->nres < 0 ? nret : f->nres;
	for (int j = 0; j < n; j++)
		set_reg(c, pf, f->ret_reg + j, j < nret ? vals[j] : (lc_val *)&lc_nil_v);
	if (f->nres < 0)
		pf->top = f->ret_reg + nret;
	s->top = pf;
	s->depth--;
	return false;
}

static lc_val *call_method(lc *c, const state *s, const lc_val *m, lc_val *const *args, int nargs)
{
	if (nargs < 1 || lc_resolve(c, s, args[0])->k != VK_OBJ || lc_resolve(c, s, args[0])->obj != m->obj) {
		lc_fail(c, "a method called without its object");
		return (lc_val *)&lc_nil_v;
	}
	lc_field fd = { .obj = -1 };
	lc_val *rargs[8];
	if (nargs - 1 > 8) {
		lc_fail(c, "too many arguments");
		return (lc_val *)&lc_nil_v;
	}
	for (int i = 1; i < nargs; i++) {
		const lc_val *a = lc_resolve(c, s, args[i]);
		rargs[i - 1] = (lc_val *)a;
	}
	bool failed_before = c->failed;
	if (c->h->method(c->h->ud, c, m->obj, m->s, m->n, rargs, nargs - 1, &fd) || c->failed) {
		if (!failed_before)
			lc_fail(c, "calls method '%.40s' it cannot translate", m->s);
		return (lc_val *)&lc_nil_v;
	}
	lc_val *v = lc_from_field(c, &fd);
	if (v->k != VK_TERM)
		return v;
	v->mayfail = fd.types & LC_NUM; /* sums and counts can overflow */
	for (int i = 0; i < nargs - 1; i++)
		if (rargs[i]->k == VK_FUNC && rargs[i]->mayfail)
			v->mayfail = true; /* a predicate that can fail */
	v->own_fail = v->mayfail;
	return v;
}

/* Lua computes a value where the code stands (`local x = a // b`, even
 * when x is never read): where the value's own operation can fail, the
 * path evaluates it at the same point, so that the expression fails
 * where Lua does. */
static void force(lc *c, state *s, const lc_val *v)
{
	if (v->k != VK_TERM || !v->own_fail)
		return;
	lc_add_atom(c, s, lc_printf(c, "%s != null", v->s), false, true);
	if (!c->failed)
		s->atoms[s->natoms - 1].forced = v->s;
}

/* What an instruction the compiler does not translate stands for. */
static const char *unsupported(int op)
{
	switch (op) {
	case LOP_FORPREP: case LOP_FORLOOP: case LOP_TFORPREP: case LOP_TFORCALL: case LOP_TFORLOOP:
		return "a loop";
	case LOP_CONCAT: return "string concatenation (..)";
	case LOP_LEN: return "the length operator (#)";
	case LOP_NEWTABLE: case LOP_SETLIST: return "a table made in the call";
	case LOP_SETTABUP: case LOP_SETTABLE: case LOP_SETI: case LOP_SETFIELD: case LOP_SETUPVAL:
		return "an assignment to a table, global or upvalue";
	case LOP_POW: case LOP_POWK: case LOP_DIV: case LOP_DIVK: return "float arithmetic (/ or ^)";
	case LOP_BAND: case LOP_BANDK: case LOP_BOR: case LOP_BORK: case LOP_BXOR: case LOP_BXORK:
	case LOP_SHL: case LOP_SHLI: case LOP_SHR: case LOP_SHRI: case LOP_BNOT:
		return "bitwise operators";
	case LOP_VARARG: case LOP_VARARGPREP: return "'...'";
	case LOP_TBC: return "a to-be-closed variable";
	default: return "an instruction it does not translate";
	}
}

/* Run one path until it ends or fails; forks go to rn->work. */
static void exec(lc *c, run *rn, state *s)
{
	static const int arith_of[] = {
		[LOP_ADD] = 0, [LOP_SUB] = 1, [LOP_MUL] = 2, [LOP_IDIV] = 3, [LOP_MOD] = 4,
	};

	while (!c->failed) {
		frame *f = s->top;
		if (++c->steps > LC_MAX_STEPS) {
			lc_fail(c, "too long");
			return;
		}
		if (f->pc >= f->p->ncode) {
			lc_fail(c, "ran past the end of the code");
			return;
		}
		uint32_t pc0 = f->pc;
		uint32_t i = f->p->code[f->pc++];
		int op = LOP_OP(i), a = LOP_A(i), b = LOP_B(i), cc = LOP_C(i), k = LOP_K(i);
		cond cd;
		int r;
		lc_val *v;

		switch (op) {
		case LOP_MOVE: set_reg(c, f, a, reg(c, f, b)); break;
		case LOP_LOADI: set_reg(c, f, a, lc_int(c, LOP_SBX(i))); break;
		case LOP_LOADF: set_reg(c, f, a, lc_flt(c, (double)LOP_SBX(i))); break;
		case LOP_LOADK: set_reg(c, f, a, konst(c, f, LOP_BX(i))); break;
		case LOP_LOADKX:
			if (f->pc >= f->p->ncode || LOP_OP(f->p->code[f->pc]) != LOP_EXTRAARG) {
				lc_fail(c, "LOADKX without EXTRAARG");
				return;
			}
			set_reg(c, f, a, konst(c, f, LOP_AX(f->p->code[f->pc])));
			f->pc++;
			break;
		case LOP_LOADFALSE: set_reg(c, f, a, lc_bool(c, false)); break;
		case LOP_LFALSESKIP: set_reg(c, f, a, lc_bool(c, false)); f->pc++; break;
		case LOP_LOADTRUE: set_reg(c, f, a, lc_bool(c, true)); break;
		case LOP_LOADNIL:
			for (int j = 0; j <= b; j++)
				set_reg(c, f, a + j, (lc_val *)&lc_nil_v);
			break;
		case LOP_GETUPVAL:
			if ((uint32_t)b >= f->p->nup) {
				lc_fail(c, "upvalue out of range");
				return;
			}
			set_reg(c, f, a, f->up[b]);
			break;
		case LOP_GETTABUP:
			if ((uint32_t)b >= f->p->nup) {
				lc_fail(c, "upvalue out of range");
				return;
			}
			set_reg(c, f, a, lc_index(c, s, f->up[b], konst(c, f, cc)));
			break;
		case LOP_GETTABLE: case LOP_GETI: case LOP_GETFIELD: {
			if (guard_nil(c, rn, s, reg(c, f, b), "attempt to index a nil value"))
				return;
			const lc_val *key = op == LOP_GETTABLE ? lc_resolve(c, s, reg(c, f, cc))
				: op == LOP_GETI ? lc_int(c, cc) : konst(c, f, cc);
			set_reg(c, f, a, lc_index(c, s, reg(c, f, b), key));
			break;
		}
		case LOP_SELF: {
			if (guard_nil(c, rn, s, reg(c, f, b), "attempt to index a nil value"))
				return;
			const lc_val *o = lc_resolve(c, s, reg(c, f, b));
			const lc_val *key = k ? konst(c, f, cc) : lc_resolve(c, s, reg(c, f, cc));
			if (o->k != VK_OBJ || key->k != VK_STR || !lc_nonnil(s, o)) {
				lc_fail(c, "a method call on something other than ctx");
				return;
			}
			set_reg(c, f, a + 1, (lc_val *)o);
			v = lc_newv(c, VK_METHOD);
			v->obj = o->obj;
			v->s = key->s;
			v->n = key->n;
			set_reg(c, f, a, v);
			break;
		}
		case LOP_ADDI: case LOP_ADDK: case LOP_SUBK: case LOP_MULK: case LOP_MODK: case LOP_IDIVK:
		case LOP_ADD: case LOP_SUB: case LOP_MUL: case LOP_MOD: case LOP_IDIV: {
			const lc_val *y;
			int aop;
			switch (op) {
			case LOP_ADDI: y = lc_int(c, LOP_SC(i)); aop = 0; break;
			case LOP_ADDK: y = konst(c, f, cc); aop = 0; break;
			case LOP_SUBK: y = konst(c, f, cc); aop = 1; break;
			case LOP_MULK: y = konst(c, f, cc); aop = 2; break;
			case LOP_MODK: y = konst(c, f, cc); aop = 4; break;
			case LOP_IDIVK: y = konst(c, f, cc); aop = 3; break;
			default: y = reg(c, f, cc); aop = arith_of[op]; break;
			}
			if (guard_nil(c, rn, s, reg(c, f, b), "attempt to perform arithmetic on a nil value") ||
			    guard_nil(c, rn, s, y, "attempt to perform arithmetic on a nil value"))
				return;
			v = lc_arith(c, s, aop, reg(c, f, b), y);
			set_reg(c, f, a, v);
			force(c, s, v);
			/* the metamethod fallback that follows runs only when the
			 * operation fails, which lc_arith() has ruled out */
			if (f->pc >= f->p->ncode || (LOP_OP(f->p->code[f->pc]) != LOP_MMBIN &&
			    LOP_OP(f->p->code[f->pc]) != LOP_MMBINI && LOP_OP(f->p->code[f->pc]) != LOP_MMBINK)) {
				lc_fail(c, "arithmetic without its fallback");
				return;
			}
			f->pc++;
			break;
		}
		case LOP_UNM: {
			if (guard_nil(c, rn, s, reg(c, f, b), "attempt to perform arithmetic on a nil value"))
				return;
			const lc_val *x = lc_resolve(c, s, reg(c, f, b));
			if (x->k == VK_INT)
				set_reg(c, f, a, lc_int(c, (int64_t)(0 - (uint64_t)x->i)));
			else if (lc_int_operand(s, x))
				set_reg(c, f, a, lc_term(c, lc_printf(c, "(-%s)", x->s), LC_INT, x->mayfail));
			else
				lc_fail(c, "negates something that may not be an integer");
			break;
		}
		case LOP_NOT:
			r = lc_truth(c, s, reg(c, f, b), &cd);
			if (r == 2)
				set_reg(c, f, a, lc_term(c, cd.neg ? lc_printf(c, "(%s)", cd.t) : lc_printf(c, "not (%s)", cd.t),
					LC_BOOL, cd.mayfail));
			else
				set_reg(c, f, a, lc_bool(c, !r));
			break;
		case LOP_JMP: {
			int sj = LOP_SJ(i);
			if (sj < 0) {
				lc_fail(c, "a loop");
				return;
			}
			f->pc += (uint32_t)sj;
			break;
		}
		case LOP_EQ:
			r = lc_equal(c, s, reg(c, f, a), reg(c, f, b), &cd);
			cond_jump(c, rn, s, r, &cd, k);
			break;
		case LOP_EQK:
			r = lc_equal(c, s, reg(c, f, a), konst(c, f, b), &cd);
			cond_jump(c, rn, s, r, &cd, k);
			break;
		case LOP_EQI:
			r = lc_equal(c, s, reg(c, f, a), lc_int(c, LOP_SB(i)), &cd);
			cond_jump(c, rn, s, r, &cd, k);
			break;
		case LOP_LT: case LOP_LE:
			if (guard_nil(c, rn, s, reg(c, f, a), "attempt to compare nil with a value") ||
			    guard_nil(c, rn, s, reg(c, f, b), "attempt to compare a value with nil"))
				return;
			r = lc_order(c, s, reg(c, f, a), reg(c, f, b), op == LOP_LE, &cd);
			cond_jump(c, rn, s, r, &cd, k);
			break;
		case LOP_LTI: case LOP_LEI:
			if (guard_nil(c, rn, s, reg(c, f, a), "attempt to compare nil with number"))
				return;
			r = lc_order(c, s, reg(c, f, a), lc_int(c, LOP_SB(i)), op == LOP_LEI, &cd);
			cond_jump(c, rn, s, r, &cd, k);
			break;
		case LOP_GTI: case LOP_GEI: /* x > n is n < x */
			if (guard_nil(c, rn, s, reg(c, f, a), "attempt to compare number with nil"))
				return;
			r = lc_order(c, s, lc_int(c, LOP_SB(i)), reg(c, f, a), op == LOP_GEI, &cd);
			cond_jump(c, rn, s, r, &cd, k);
			break;
		case LOP_TEST:
			r = lc_truth(c, s, reg(c, f, a), &cd);
			cond_jump(c, rn, s, r, &cd, k);
			break;
		case LOP_TESTSET: {
			/* if truthy(R[B]) == k: R[A] := R[B] and take the jump; else skip it */
			lc_val *src = reg(c, f, b);
			r = lc_truth(c, s, src, &cd);
			if (r == 2) {
				if (rn->nwork >= LC_MAX_PATHS || rn->npaths + rn->nwork + 1 > LC_MAX_PATHS) {
					lc_fail(c, "too many paths");
					return;
				}
				state *s2 = clone_state(c, s);
				if (!s2)
					return;
				lc_add_atom(c, s2, cd.t, !cd.neg, cd.mayfail);
				lc_add_fact(c, s2, cd.id, cd.if_false);
				lc_add_atom(c, s, cd.t, cd.neg, cd.mayfail);
				lc_add_fact(c, s, cd.id, cd.if_true);
				rn->work[rn->nwork++] = s2;
				/* s2 (falsy) goes on from the same point: */
				if (k == 0) {
					set_reg(c, s2->top, a, src);
					cond_jump(c, rn, s2, 1, &cd, 1);
				} else {
					s2->top->pc++;
				}
				r = 1;
			}
			if (r == k) {
				set_reg(c, f, a, src);
				cond_jump(c, rn, s, 1, &cd, 1);
			} else {
				f->pc++;
			}
			break;
		}
		case LOP_CALL: case LOP_TAILCALL: {
			int nargs = b - 1;
			if (b == 0) {
				/* the arguments run up to what the last call left */
				if (f->top <= a) {
					lc_fail(c, "a call with a variable number of values");
					return;
				}
				nargs = f->top - a - 1;
			}
			f->top = -1;
			lc_val *fn = (lc_val *)lc_resolve(c, s, reg(c, f, a));
			lc_val *args[256];
			for (int j = 0; j < nargs; j++)
				args[j] = reg(c, f, a + 1 + j);
			if (fn->k == VK_METHOD) {
				v = call_method(c, s, fn, args, nargs);
				if (c->failed)
					return;
				if (op == LOP_TAILCALL) {
					if (do_return(c, rn, s, &v, 1))
						return;
					break;
				}
				for (int j = 0; j < cc - 1; j++)
					set_reg(c, f, a + j, j == 0 ? v : (lc_val *)&lc_nil_v);
				if (cc == 0) {
					set_reg(c, f, a, v);
					f->top = a + 1;
				}
				force(c, s, v);
				break;
			}
			if (fn->k != VK_FUNC) {
				lc_fail(c, "calls a function it cannot see");
				return;
			}
			if (s->depth + c->depth >= LC_MAX_DEPTH) {
				lc_fail(c, "calls nested too deep");
				return;
			}
			frame *nf = enter(c, fn, args, nargs);
			if (!nf)
				return;
			if (op == LOP_TAILCALL) {
				nf->parent = f->parent;
				nf->ret_reg = f->ret_reg;
				nf->nres = f->nres;
			} else {
				nf->parent = f;
				nf->ret_reg = a;
				nf->nres = cc - 1;
				s->depth++;
			}
			s->top = nf;
			break;
		}
		case LOP_RETURN:
			if (b == 0) {
				lc_fail(c, "returns a variable number of values");
				return;
			}
			if (a + b - 1 > f->p->maxstack) {
				lc_fail(c, "register out of range");
				return;
			}
			if (do_return(c, rn, s, f->reg + a, b - 1))
				return;
			break;
		case LOP_RETURN0:
			if (do_return(c, rn, s, NULL, 0))
				return;
			break;
		case LOP_RETURN1:
			v = reg(c, f, a);
			if (do_return(c, rn, s, &v, 1))
				return;
			break;
		case LOP_CLOSURE: {
			uint32_t bx = (uint32_t)LOP_BX(i);
			if (bx >= f->p->np) {
				lc_fail(c, "prototype out of range");
				return;
			}
			const lproto *np = f->p->p[bx];
			lc_val **up = arena_calloc(&c->mem, np->nup ? np->nup : 1, sizeof *up);
			if (!up) {
				lc_fail(c, "out of memory");
				return;
			}
			for (uint32_t j = 0; j < np->nup; j++) {
				int idx = np->up[j].idx;
				if (np->up[j].instack) {
					if (written_after(f->p, pc0, idx)) {
						lc_fail(c, "a closure over a local that changes");
						return;
					}
					up[j] = reg(c, f, idx);
				} else if ((uint32_t)idx < f->p->nup) {
					up[j] = f->up[idx];
				} else {
					lc_fail(c, "upvalue out of range");
					return;
				}
			}
			v = lc_newv(c, VK_FUNC);
			v->p = np;
			v->up = up;
			set_reg(c, f, a, v);
			break;
		}
		case LOP_CLOSE:
			break;
		default:
			lc_fail(c, "%s", unsupported(op));
			return;
		}
	}
}

/* Run fn(args) over every path. */
static bool run_fn(lc *c, run *rn, lc_val *fn, lc_val *const *args, int nargs)
{
	frame *f = enter(c, fn, args, nargs);
	if (!f)
		return false;
	state *s = arena_calloc(&c->mem, 1, sizeof *s);
	if (!s) {
		lc_fail(c, "out of memory");
		return false;
	}
	s->top = f;
	rn->work[rn->nwork++] = s;
	while (rn->nwork > 0 && !c->failed)
		exec(c, rn, rn->work[--rn->nwork]);
	return !c->failed;
}

/* The `or` of the paths that return true, each the `and` of its atoms.
 * A path that returns false is left out, unless it holds an atom that can
 * fail: Lua evaluates that atom on every input that follows the path, so
 * the expression must too — the path joins the `or` up to its last such
 * atom, followed by `and false`. (The paths are the leaves of one
 * decision tree: on any input a disjunct stops at the first atom where it
 * leaves the input's own path, an atom Lua evaluates too; and the input's
 * own path, if listed, is evaluated up to where Lua stopped or failed.) */
static const char *finish_bool(lc *c, const run *rn, bool *mayfail)
{
	const char *part[2 * LC_MAX_PATHS];
	int np = 0;

	*mayfail = false;
	for (int k = 0; k < rn->nkept; k++) {
		part[np++] = rn->kept[k];
		for (uint32_t i = 0; i < rn->kept_s[k]->natoms; i++)
			*mayfail = *mayfail || rn->kept_s[k]->atoms[i].mayfail;
	}
	for (int d = 0; d < rn->ndropped; d++) {
		const state *s = rn->dropped[d];
		uint32_t last = 0;
		for (uint32_t i = 0; i < s->natoms; i++)
			if (s->atoms[i].mayfail)
				last = i + 1;
		if (!last)
			continue;
		const char *t = and_text(c, s, last);
		if (!t)
			return NULL;
		part[np++] = lc_printf(c, "%s and (false)", t);
		*mayfail = true;
	}
	if (rn->always)
		return "true";
	if (np == 0)
		return "false";
	if (np == 1 && rn->nkept == 1) {
		/* one atom: no parentheses, so that the host sees the usual
		 * shapes (item.category == "coffee") */
		const state *s = rn->kept_s[0];
		if (s->natoms == 1 && !s->atoms[0].neg)
			return s->atoms[0].t;
		return rn->kept[0];
	}
	char buf[LC_MAX_TEXT + 1];
	size_t o = 0;
	for (int k = 0; k < np; k++) {
		int n = snprintf(buf + o, sizeof buf - o, "%s(%s)", k ? " or " : "", part[k]);
		if (n < 0 || (size_t)n >= sizeof buf - o) {
			lc_fail(c, "expression too long");
			return NULL;
		}
		o += (size_t)n;
	}
	return lc_printf(c, "%s", buf);
}

static lc_val *param_obj(lc *c, int obj)
{
	lc_val *v = lc_newv(c, VK_OBJ);
	v->obj = obj;
	v->id = ++c->next_id;
	return v;
}

const char *lc_arg_pred(lc *c, const lc_val *v, int obj)
{
	if (v->k != VK_FUNC || c->failed) {
		lc_fail(c, "a predicate that is not a Lua function");
		return NULL;
	}
	if (++c->depth >= LC_MAX_DEPTH) {
		lc_fail(c, "calls nested too deep");
		return NULL;
	}
	run *rn = arena_calloc(&c->mem, 1, sizeof *rn);
	if (!rn) {
		lc_fail(c, "out of memory");
		return NULL;
	}
	rn->want = LC_WANT_BOOL;
	lc_val *arg = param_obj(c, obj);
	const char *t = NULL;
	bool mf;
	if (run_fn(c, rn, (lc_val *)v, &arg, 1))
		t = finish_bool(c, rn, &mf);
	if (t && mf)
		((lc_val *)v)->mayfail = true;
	c->depth--;
	return c->failed ? NULL : t;
}

bool lc_arg_str(const lc_val *v, const char **s, size_t *n)
{
	if (v->k != VK_STR)
		return false;
	*s = v->s;
	*n = v->n;
	return true;
}

char *lc_compile(lua_State *L, int idx, const lc_host *h, const int *objs, int nobjs,
	int want, char *why, size_t whysz)
{
	lc *c = calloc(1, sizeof *c);
	char *out = NULL;

	if (why && whysz)
		why[0] = 0;
	if (!c || nobjs > 8 || !lua_checkstack(L, 8)) {
		free(c);
		if (why && whysz)
			snprintf(why, whysz, "out of memory");
		return NULL;
	}
	idx = lua_absindex(L, idx);
	c->L = L;
	c->h = h;
	c->why = why;
	c->whysz = whysz;
	arena_init(&c->mem, 16384, 16u << 20);
	lua_newtable(L);
	c->anchor = lua_gettop(L);
	lc_val *fn = lc_from_lua(c, idx);
	lc_val *args[8];
	for (int i = 0; i < nobjs; i++)
		args[i] = param_obj(c, objs[i]);
	run *rn = arena_calloc(&c->mem, 1, sizeof *rn);
	if (fn->k != VK_FUNC)
		lc_fail(c, "not a Lua function");
	else if (!rn)
		lc_fail(c, "out of memory");
	else {
		rn->want = want;
		if (run_fn(c, rn, fn, args, nobjs)) {
			const char *t = NULL;
			bool mf;
			if (want == LC_WANT_NUM)
				t = rn->value ? lc_text(c, rn->value) : (lc_fail(c, "no value"), NULL);
			else
				t = finish_bool(c, rn, &mf);
			if (t && !c->failed)
				out = strdup(t);
		}
	}
	lua_settop(L, c->anchor - 1);
	arena_free(&c->mem);
	free(c);
	return out;
}
