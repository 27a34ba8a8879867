/* rules/load_lua.c — *.lua files of a program directory (rules.md, "Lua
 * rules"): each runs in the program's one sandbox and calls
 *   rule { name = ..., when = function(ctx) ... end, discount = {...}, ... }
 *   segment(name, function(ctx) ... end)
 * which become rules and segments with exactly the meaning of YAML ones,
 * added to the same program structures in read order.
 *
 * Every key is checked when the file loads, as load_yaml.c checks YAML;
 * a problem with a key is reported as "file.lua:LINE:COL: message" at the
 * key (found in the text: key_pos), any other at the line of the rule{} or
 * segment() call, column 1, and checking goes on so that the marketer sees
 * every error at once. Calling the functions later is rules/lua_ctx.c. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "rules/load_impl.h"
#include "rules/lua_ctx.h"

/* The loader of the file being run (rule{} and segment() are called from
 * its main chunk, in the thread that runs program_load). */
typedef struct lfile_load {
	rl_loader *L;
	rl_lua *lx;
	const char *file;
	const char *src;
	size_t srclen;
	int line;           /* of the rule{} / segment() call being read */
	int nerr;           /* errors of that call */
} lfile_load;

static lfile_load *cur_load(lua_State *S)
{
	lfile_load *ld = lua_touserdata(S, lua_upvalueindex(1));

	if (!ld->L)
		luaL_error(S, "rule{} and segment() may only be called while the file loads");
	return ld;
}

static void ERRL(lfile_load *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ERRL(lfile_load *ld, const char *fmt, ...)
{
	char buf[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	rl_err_add(ld->L->errs, ld->file, ld->line, 1, "%s", buf);
	ld->nerr++;
}

/* Where `key = ` is written in the rule{} or segment() call being read:
 * Lua keeps no position of a table constructor's keys, so the text from
 * the call's line on is scanned (comments, strings and long brackets
 * skipped) for the name written as a key (after `{`, `,` or `;`, before
 * a single `=`) inside the call's braces. The first such place, or false
 * (then the call's line is used). Bounded by the file's length. */
static size_t long_bracket(const char *p, const char *end)
{
	size_t n = 1;

	if (p >= end || *p != '[')
		return 0;
	while (p + n < end && p[n] == '=')
		n++;
	return p + n < end && p[n] == '[' ? n + 1 : 0; /* the opening's length */
}

static bool key_pos(const lfile_load *ld, const char *key, int *line_out, int *col_out)
{
	const char *p = ld->src, *end = ld->src + ld->srclen, *bol;
	size_t klen = strlen(key);
	int line = 1, depth = 0;
	char prev = 0; /* last significant character */

	if (!p)
		return false;
	while (p < end && line < ld->line)
		if (*p++ == '\n')
			line++;
	bol = p;
	while (p < end) {
		char c = *p;
		if (c == '\n') {
			line++;
			bol = ++p;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r') {
			p++;
			continue;
		}
		size_t lb;
		if (c == '-' && p + 1 < end && p[1] == '-') {
			p += 2;
			if ((lb = long_bracket(p, end)) != 0) {
				c = '[';
			} else {
				while (p < end && *p != '\n')
					p++;
				continue;
			}
		}
		if ((c == '[') && (lb = long_bracket(p, end)) != 0) {
			/* ]=*] with as many = as the opening */
			p += lb;
			while (p < end) {
				size_t eq = 0;
				while (*p == ']' && p + 1 + eq < end && p[1 + eq] == '=')
					eq++;
				if (*p == ']' && eq == lb - 2 && p + lb - 1 < end && p[lb - 1] == ']') {
					p += lb;
					break;
				}
				if (*p == '\n') {
					line++;
					bol = p + 1;
				}
				p++;
			}
			prev = ']';
			continue;
		}
		if (c == '"' || c == '\'') {
			for (p++; p < end && *p != c && *p != '\n'; p++)
				if (*p == '\\' && p + 1 < end) {
					if (p[1] == '\n') {
						line++;
						bol = p + 2;
					}
					p++;
				}
			if (p < end)
				p++;
			prev = c;
			continue;
		}
		if (c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			const char *w = p;
			while (p < end && (*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			       (*p >= '0' && *p <= '9')))
				p++;
			if (depth > 0 && (size_t)(p - w) == klen && memcmp(w, key, klen) == 0 &&
			    (prev == '{' || prev == ',' || prev == ';')) {
				const char *q = p;
				while (q < end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'))
					q++;
				if (q < end && *q == '=' && (q + 1 >= end || q[1] != '=')) {
					*line_out = line;
					*col_out = (int)(w - bol) + 1;
					return true;
				}
			}
			prev = 'a';
			continue;
		}
		if (c == '{')
			depth++;
		else if (c == '}' && --depth <= 0)
			return false;
		prev = c;
		p++;
	}
	return false;
}

/* An error about the value of `key`: at the key when it can be found. */
static void ERRK(lfile_load *ld, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void ERRK(lfile_load *ld, const char *key, const char *fmt, ...)
{
	char buf[400];
	va_list ap;
	int line = ld->line, col = 1;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (!key_pos(ld, key, &line, &col)) {
		line = ld->line;
		col = 1;
	}
	rl_err_add(ld->L->errs, ld->file, line, col, "%s", buf);
	ld->nerr++;
}

static int call_line(lua_State *S)
{
	lua_Debug ar;

	if (lua_getstack(S, 1, &ar) && lua_getinfo(S, "l", &ar) && ar.currentline > 0)
		return ar.currentline;
	return 1;
}

/* ---- values of keys ---------------------------------------------------- */

static const char *type_of(lua_State *S, int idx)
{
	int t = lua_type(S, idx);
	if (t == LUA_TNUMBER)
		return lua_isinteger(S, idx) ? "an integer" : "a number";
	switch (t) {
	case LUA_TNIL: return "nil";
	case LUA_TBOOLEAN: return "a boolean";
	case LUA_TSTRING: return "a string";
	case LUA_TTABLE: return "a table";
	case LUA_TFUNCTION: return "a function";
	default: return "a value of another type";
	}
}

static const char *get_text(lfile_load *ld, lua_State *S, int idx, const char *key)
{
	size_t n;
	const char *s;

	if (lua_type(S, idx) != LUA_TSTRING) {
		ERRK(ld, key, "'%s' must be a string, not %s", key, type_of(S, idx));
		return NULL;
	}
	s = lua_tolstring(S, idx, &n);
	if (n == 0 || memchr(s, 0, n)) {
		ERRK(ld, key, "'%s' must be a non-empty string without NUL bytes", key);
		return NULL;
	}
	return arena_strndup(&ld->L->p->mem, s, n);
}

static bool get_int(lfile_load *ld, lua_State *S, int idx, const char *key, int64_t min,
	int64_t max, int64_t *out)
{
	if (!lua_isinteger(S, idx)) {
		ERRK(ld, key, "'%s' must be an integer, not %s", key, type_of(S, idx));
		return false;
	}
	*out = lua_tointeger(S, idx);
	if (*out < min || *out > max) {
		ERRK(ld, key, "'%s' must be between %lld and %lld", key, (long long)min, (long long)max);
		return false;
	}
	return true;
}

/* Exact hundredths: an integer, a float whose shortest decimal text has at
 * most two decimals (12.5), or a string ("12.5"). */
static bool get_decimal(lfile_load *ld, lua_State *S, int idx, const char *key, int64_t min_x100,
	int64_t max_x100, bool min_exclusive, int64_t *out)
{
	char buf[64];
	const char *s;
	size_t n;
	int rc;

	if (lua_isinteger(S, idx)) {
		lua_Integer i = lua_tointeger(S, idx);
		if (i > INT64_MAX / 100 || i < INT64_MIN / 100)
			rc = -3;
		else {
			*out = i * 100;
			rc = 0;
		}
	} else if (lua_type(S, idx) == LUA_TNUMBER || lua_type(S, idx) == LUA_TSTRING) {
		if (lua_type(S, idx) == LUA_TNUMBER) {
			double d = lua_tonumber(S, idx);
			/* the shortest text that reads back as d: 0.1 is "0.1" */
			for (int prec = 1; prec <= 17; prec++) {
				snprintf(buf, sizeof buf, "%.*g", prec, d);
				if (strtod(buf, NULL) == d)
					break;
			}
			s = buf;
			n = strlen(buf);
			if (strchr(buf, 'e') || strchr(buf, 'n') || strchr(buf, 'i'))
				rc = -1;
			else
				rc = rl_decimal_x100(s, n, out);
		} else {
			s = lua_tolstring(S, idx, &n);
			rc = rl_decimal_x100(s, n, out);
		}
	} else {
		ERRK(ld, key, "'%s' must be a number, not %s", key, type_of(S, idx));
		return false;
	}
	if (rc == -2) {
		ERRK(ld, key, "'%s' has more than two decimals", key);
		return false;
	}
	if (rc) {
		ERRK(ld, key, "'%s' must be a number", key);
		return false;
	}
	if ((min_exclusive ? *out <= min_x100 : *out < min_x100) || *out > max_x100) {
		ERRK(ld, key, "'%s' must be %s %lld.%02lld and at most %lld.%02lld", key,
			min_exclusive ? "over" : "at least",
			(long long)(min_x100 / 100), (long long)(min_x100 % 100),
			(long long)(max_x100 / 100), (long long)(max_x100 % 100));
		return false;
	}
	return true;
}

/* Scan the text of function `idx` for coupon("CODE") literals, so that a
 * coupon is accepted when the rule testing it fires (rules.md, "What
 * `applied` lists"), as YAML records coupon("CODE") at compile time. The
 * codes go through the YAML compiler's own bind, so that they land in the
 * program's coupon table and the rule's list exactly as in YAML. */
static void scan_coupons(lfile_load *ld, lua_State *S, int idx)
{
	lua_Debug ar;
	const char *p, *end;
	int line = 1;

	lua_pushvalue(S, idx);
	if (!lua_getinfo(S, ">S", &ar) || ar.linedefined <= 0)
		return;
	p = ld->src;
	end = ld->src + ld->srclen;
	while (p < end && line < ar.linedefined) {
		if (*p++ == '\n')
			line++;
	}
	for (; p < end && line <= ar.lastlinedefined; p++) {
		if (*p == '\n') {
			line++;
			continue;
		}
		if (end - p < 7 || memcmp(p, "coupon", 6) != 0 || (p > ld->src && (p[-1] == '_' ||
		    (p[-1] >= 'a' && p[-1] <= 'z') || (p[-1] >= 'A' && p[-1] <= 'Z') || (p[-1] >= '0' && p[-1] <= '9'))))
			continue;
		const char *q = p + 6;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (q < end && *q == '(')
			q++;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (q >= end || (*q != '"' && *q != '\''))
			continue;
		char quote = *q++;
		const char *s = q;
		while (q < end && *q != quote && *q != '\n' && *q != '\\')
			q++;
		if (q >= end || *q != quote)
			continue;
		/* coupon("CODE") through the expression compiler: its bind adds
		 * the code to the program and to the rule's record */
		char text[200];
		int tn = snprintf(text, sizeof text, "coupon(\"%.*s\")", (int)(q - s), s);
		if (tn <= 0 || (size_t)tn >= sizeof text || memchr(s, '"', (size_t)(q - s)))
			continue;
		yd_node node;
		memset(&node, 0, sizeof node);
		node.kind = YD_SCALAR;
		node.s = text;
		node.n = (size_t)tn;
		node.plain = true;
		node.line = node.text_line = line;
		node.col = node.text_col = 1;
		rl_code code;
		rl_compile_node(ld->L, &node, EXPR_SCOPE_TOP, ET_BOOL | ET_NULL, false, &code);
		p = q;
	}
}

/* A function (kept in the sandbox, with its role) or, where `plain` types
 * are allowed, a constant. */
static void get_code(lfile_load *ld, lua_State *S, int idx, const char *key, rl_lua_role role,
	bool allow_bool, bool allow_num, rl_code *code)
{
	int t = lua_type(S, idx);

	memset(code, 0, sizeof *code);
	if (t == LUA_TFUNCTION) {
		if (role == LR_WHEN)
			scan_coupons(ld, S, idx);
		lua_pushvalue(S, idx);
		int ref = luasb_ref(ld->lx->sb);
		if (ref <= 0 || rl_lua_set_role(ld->lx, ref, role)) {
			ERRL(ld, "out of memory");
			return;
		}
		code->kind = RC_LUA;
		code->lua_ref = ref;
		/* it may read anything: never "customer names only" */
		code->uses = RL_N_CUSTOMER | RL_N_REQUEST | RL_N_ITEMS | RL_N_COUPON |
			RL_N_SEGMENT | RL_N_VARIANT | RL_N_NET;
		return;
	}
	if (allow_bool && t == LUA_TBOOLEAN) {
		code->kind = RC_CONST;
		code->k = expr_bool(lua_toboolean(S, idx));
		return;
	}
	if (allow_num && t == LUA_TNUMBER) {
		code->kind = RC_CONST;
		code->k = lua_isinteger(S, idx) ? expr_int(lua_tointeger(S, idx))
			: expr_float(lua_tonumber(S, idx));
		return;
	}
	ERRK(ld, key, "'%s' must be a function%s, not %s", key,
		allow_bool ? " or a boolean" : allow_num ? " or a number" : "", type_of(S, idx));
}

/* Unknown keys, in name order so that messages come out the same each
 * time (a Lua table has no order). */
static void check_keys(lfile_load *ld, lua_State *S, int t, const char *const *allowed, const char *what)
{
	const char *bad[32];
	int nbad = 0;

	lua_pushnil(S);
	while (lua_next(S, t)) {
		lua_pop(S, 1);
		if (lua_type(S, -1) != LUA_TSTRING) {
			ERRL(ld, "%s keys must be names, not %s", what, type_of(S, -1));
			continue;
		}
		const char *k = lua_tostring(S, -1);
		bool known = false;
		for (const char *const *a = allowed; *a && !known; a++)
			known = strcmp(*a, k) == 0;
		if (!known && nbad < 32)
			bad[nbad++] = k; /* the key stays alive in the table */
	}
	for (int i = 1; i < nbad; i++)
		for (int j = i; j > 0 && strcmp(bad[j - 1], bad[j]) > 0; j--) {
			const char *x = bad[j];
			bad[j] = bad[j - 1];
			bad[j - 1] = x;
		}
	for (int i = 0; i < nbad; i++)
		ERRK(ld, bad[i], "unknown %s key '%.100s'", what, bad[i]);
}

/* t[key] onto the stack; true when present */
static bool field(lua_State *S, int t, const char *key)
{
	if (lua_getfield(S, t, key) == LUA_TNIL) {
		lua_pop(S, 1);
		return false;
	}
	return true;
}

static void read_discount(lfile_load *ld, lua_State *S, int d, rl_rule *r)
{
	static const char *const keys[] = { "percent", "amount", "free", "buy", "get", "items", "max", NULL };
	rl_discount *x = &r->disc;

	if (lua_type(S, d) != LUA_TTABLE) {
		ERRL(ld, "'discount' must be a table ({percent = P}, {amount = A}, {free = N} or {buy = X, get = Y})");
		return;
	}
	check_keys(ld, S, d, keys, "discount");
	bool pc = field(S, d, "percent"), am, fr, bu, ge;
	if (pc)
		lua_pop(S, 1);
	am = field(S, d, "amount");
	if (am)
		lua_pop(S, 1);
	fr = field(S, d, "free");
	if (fr)
		lua_pop(S, 1);
	bu = field(S, d, "buy");
	if (bu)
		lua_pop(S, 1);
	ge = field(S, d, "get");
	if (ge)
		lua_pop(S, 1);
	if (pc + am + fr + (bu || ge) != 1) {
		ERRL(ld, "'discount' needs exactly one of percent, amount, free, buy/get");
		return;
	}
	if (pc) {
		x->kind = DK_PERCENT;
		field(S, d, "percent");
		get_decimal(ld, S, -1, "percent", 0, 10000, true, &x->percent_x100);
		lua_pop(S, 1);
	} else if (am) {
		x->kind = DK_AMOUNT;
		field(S, d, "amount");
		if (lua_isinteger(S, -1)) {
			if (lua_tointeger(S, -1) <= 0)
				ERRL(ld, "'amount' must be a positive integer of minor units");
			x->amount.kind = RC_CONST;
			x->amount.k = expr_int(lua_tointeger(S, -1));
		} else {
			get_code(ld, S, -1, "amount", LR_AMOUNT, false, false, &x->amount);
		}
		lua_pop(S, 1);
	} else if (fr) {
		x->kind = DK_FREE;
		field(S, d, "free");
		get_int(ld, S, -1, "free", 1, 1000000000, &x->free_n);
		lua_pop(S, 1);
	} else {
		x->kind = DK_BUYGET;
		if (!bu)
			ERRL(ld, "'get' needs 'buy'");
		else if (!ge)
			ERRL(ld, "'buy' needs 'get'");
		else {
			field(S, d, "buy");
			get_int(ld, S, -1, "buy", 1, 1000000, &x->buy);
			lua_pop(S, 1);
			field(S, d, "get");
			get_int(ld, S, -1, "get", 1, 1000000, &x->get);
			lua_pop(S, 1);
		}
	}
	if (field(S, d, "items")) {
		get_code(ld, S, -1, "items", LR_ITEMS, true, false, &x->items);
		lua_pop(S, 1);
	}
	if (field(S, d, "max")) {
		if (lua_isinteger(S, -1)) {
			if (lua_tointeger(S, -1) < 0)
				ERRL(ld, "'max' must be a non-negative integer of minor units");
			x->max.kind = RC_CONST;
			x->max.k = expr_int(lua_tointeger(S, -1));
		} else {
			get_code(ld, S, -1, "max", LR_MAX, false, false, &x->max);
		}
		lua_pop(S, 1);
	}
}

static const char *const rule_keys[] = { "name", "priority", "when", "segment", "experiment",
	"variant", "limit", "stop", "discount", "points", "bonus_points", "points_multiplier",
	"referrer_bonus_points", "message", "holdout", "description", NULL };

/* rule { ... } */
static int host_rule(lua_State *S)
{
	lfile_load *ld = cur_load(S);
	rl_loader *L = ld->L;
	int t = 1;

	ld->line = call_line(S);
	ld->nerr = 0;
	if (lua_type(S, 1) != LUA_TTABLE || lua_gettop(S) != 1) {
		ERRL(ld, "rule needs one table: rule { name = \"...\", ... }");
		return 0;
	}
	check_keys(ld, S, t, rule_keys, "rule");
	if (!field(S, t, "name")) {
		ERRL(ld, "rule needs a 'name'");
		return 0;
	}
	const char *name = get_text(ld, S, -1, "name");
	lua_pop(S, 1);
	if (!name)
		return 0;
	for (uint32_t i = 0; i < L->p->nrules; i++)
		if (strcmp(L->p->rules[i].name, name) == 0) {
			const rl_rule *o = &L->p->rules[i];
			ERRL(ld, "duplicate rule '%.100s' (first defined at %s:%d:%d)", name, o->file,
				o->line, o->col);
			return 0;
		}
	rl_rule *r = rl_add_rule(L);
	if (!r) {
		ERRL(ld, "out of memory");
		return 0;
	}
	r->name = name;
	r->file = ld->file;
	r->line = ld->line;
	r->col = 1;
	rl_rec_reset(L);
	if (field(S, t, "priority")) {
		get_int(ld, S, -1, "priority", -1000000000, 1000000000, &r->priority);
		lua_pop(S, 1);
	}
	if (field(S, t, "when")) {
		get_code(ld, S, -1, "when", LR_WHEN, true, false, &r->when);
		lua_pop(S, 1);
	}
	if (field(S, t, "segment")) {
		int s = lua_gettop(S);
		bool list = lua_type(S, s) == LUA_TTABLE;
		uint32_t cnt = list ? (uint32_t)lua_rawlen(S, s) : 1;
		if (list && cnt == 0)
			ERRL(ld, "'segment' must be a segment name or a list of them");
		r->segs = arena_calloc(&L->p->mem, cnt ? cnt : 1, sizeof *r->segs);
		for (uint32_t i = 0; r->segs && i < cnt; i++) {
			if (list)
				lua_rawgeti(S, s, (lua_Integer)i + 1);
			else
				lua_pushvalue(S, s);
			const char *sn = get_text(ld, S, -1, "segment");
			if (sn) {
				int k = rl_find_segment(L->p, sn, strlen(sn));
				if (k < 0)
					ERRL(ld, "unknown segment '%.100s'", sn);
				else
					r->segs[r->nsegs++] = k;
			}
			lua_pop(S, 1);
		}
		lua_pop(S, 1);
	}
	bool has_var = field(S, t, "variant");
	int var_idx = lua_gettop(S);
	if (field(S, t, "experiment")) {
		const char *en = get_text(ld, S, -1, "experiment");
		int k = en ? rl_find_experiment(L->p, en, strlen(en)) : -1;
		if (en && k < 0)
			ERRL(ld, "unknown experiment '%.100s'", en);
		r->experiment = k >= 0 ? k : -2;
		if (k >= 0 && has_var) {
			const char *vn = get_text(ld, S, var_idx, "variant");
			const rl_experiment *e = &L->p->experiments[k];
			for (uint32_t i = 0; vn && i < e->nvariants; i++)
				if (strcmp(e->variants[i], vn) == 0)
					r->variant = (int)i;
			if (vn && r->variant < 0)
				ERRL(ld, "experiment '%.100s' has no variant '%.100s'", e->name, vn);
		}
		lua_pop(S, 1);
	} else if (has_var) {
		ERRL(ld, "'variant' needs 'experiment'");
	}
	if (has_var)
		lua_pop(S, 1);
	if (field(S, t, "holdout")) { /* the only value: still fires when held out */
		const char *hv = lua_type(S, -1) == LUA_TSTRING ? lua_tostring(S, -1) : NULL;
		if (!hv || strcmp(hv, "exempt") != 0)
			ERRL(ld, "'holdout' of a rule must be 'exempt'");
		else if (r->experiment != -1)
			ERRL(ld, "'holdout: exempt' cannot apply to a rule with 'experiment': "
				"held-out customers are in no experiment");
		else
			r->holdout_exempt = true;
		lua_pop(S, 1);
	}
	if (field(S, t, "limit")) {
		static const char *const keys[] = { "per_customer", "window_days", NULL };
		int l = lua_gettop(S);
		if (lua_type(S, l) != LUA_TTABLE) {
			ERRL(ld, "'limit' must be a table {per_customer = N, window_days = D}");
		} else {
			check_keys(ld, S, l, keys, "limit");
			r->has_limit = true;
			if (!field(S, l, "per_customer")) {
				ERRL(ld, "'limit' needs 'per_customer'");
			} else {
				get_int(ld, S, -1, "per_customer", 1, 1000000000, &r->limit_n);
				lua_pop(S, 1);
			}
			if (field(S, l, "window_days")) {
				get_int(ld, S, -1, "window_days", 1, 36500, &r->limit_days);
				lua_pop(S, 1);
			}
		}
		lua_pop(S, 1);
	}
	if (field(S, t, "stop")) {
		if (lua_type(S, -1) != LUA_TBOOLEAN)
			ERRK(ld, "stop", "'stop' must be true or false, not %s", type_of(S, -1));
		else
			r->stop = lua_toboolean(S, -1);
		lua_pop(S, 1);
	}
	int nactions = 0;
	if (field(S, t, "discount")) {
		r->has_discount = true;
		nactions++;
		read_discount(ld, S, lua_gettop(S), r);
		lua_pop(S, 1);
	}
	if (field(S, t, "points")) {
		nactions++;
		get_code(ld, S, -1, "points", LR_POINTS, false, true, &r->points);
		lua_pop(S, 1);
	}
	if (field(S, t, "bonus_points")) {
		nactions++;
		get_code(ld, S, -1, "bonus_points", LR_BONUS, false, true, &r->bonus);
		lua_pop(S, 1);
	}
	if (field(S, t, "referrer_bonus_points")) {
		nactions++;
		get_code(ld, S, -1, "referrer_bonus_points", LR_REFERRER, false, true, &r->referrer_bonus);
		lua_pop(S, 1);
	}
	if (field(S, t, "points_multiplier")) {
		nactions++;
		r->has_mult = get_decimal(ld, S, -1, "points_multiplier", 0, 100000, false, &r->mult_x100);
		lua_pop(S, 1);
	}
	if (field(S, t, "message")) {
		nactions++;
		r->message = get_text(ld, S, -1, "message");
		r->message_n = r->message ? (uint32_t)strlen(r->message) : 0;
		lua_pop(S, 1);
	}
	if (field(S, t, "description")) {
		get_text(ld, S, -1, "description");
		lua_pop(S, 1);
	}
	if (nactions == 0)
		ERRL(ld, "rule '%.100s' has no action (discount, points, bonus_points, "
			"points_multiplier, referrer_bonus_points or message)", name);
	if (L->nrec_coupons) {
		r->coupons = arena_alloc(&L->p->mem, L->nrec_coupons * sizeof *r->coupons);
		if (r->coupons) {
			memcpy(r->coupons, L->rec_coupons, L->nrec_coupons * sizeof *r->coupons);
			r->ncoupons = L->nrec_coupons;
		}
	}
	return 0;
}

/* segment(name, function(ctx) ... end) */
static int host_segment(lua_State *S)
{
	lfile_load *ld = cur_load(S);
	rl_loader *L = ld->L;

	ld->line = call_line(S);
	if (lua_gettop(S) != 2) {
		ERRL(ld, "segment needs a name and a function: segment(\"name\", function(ctx) ... end)");
		return 0;
	}
	const char *name = get_text(ld, S, 1, "segment name");
	if (!name)
		return 0;
	int prev = rl_find_segment(L->p, name, strlen(name));
	if (prev >= 0) {
		const rl_segment *s = &L->p->segments[prev];
		ERRL(ld, "duplicate segment '%.100s' (first defined at %s:%d:%d)", name, s->file,
			s->line, s->col);
		return 0;
	}
	rl_code cond;
	int before = ld->nerr;
	get_code(ld, S, 2, "segment", LR_SEGMENT, true, false, &cond);
	if (ld->nerr != before)
		return 0;
	rl_segment *s = rl_add_segment(L);
	if (!s) {
		ERRL(ld, "out of memory");
		return 0;
	}
	s->name = name;
	s->file = ld->file;
	s->line = ld->line;
	s->col = 1;
	s->cond = cond;
	return 0;
}

/* ---- the file ------------------------------------------------------------ */

static rl_lua *bridge(rl_loader *L, const char *file)
{
	program *p = L->p;
	rl_lua *lx;
	lfile_load *ld;
	char err[256];
	uint64_t instr = L->lim ? L->lim->lua_instructions : 0;
	uint64_t kb = L->lim ? L->lim->lua_memory_kb : 0;

	if (p->lua)
		return p->lua;
	lx = calloc(1, sizeof *lx);
	/* rule{} and segment() reach the loader through this; the closures
	 * live as long as the program, so it does too */
	ld = arena_calloc(&p->mem, 1, sizeof *ld);
	if (!lx || !ld) {
		free(lx);
		rl_err_add(L->errs, file, 1, 1, "out of memory");
		return NULL;
	}
	lx->p = p;
	lx->load_state = ld;
	ld->lx = lx;
	lx->sb = luasb_new(instr, (size_t)kb * 1024, err, sizeof err);
	if (!lx->sb || rl_lua_ctx_init(lx, err, sizeof err)) {
		rl_err_add(L->errs, file, 1, 1, "%s", err);
		rl_lua_free(lx);
		return NULL;
	}
	lua_State *S = luasb_state(lx->sb);
	int bad;
	lua_pushlightuserdata(S, ld);
	lua_pushcclosure(S, host_rule, 1);
	bad = luasb_set_global(lx->sb, "rule");
	if (!bad) {
		lua_pushlightuserdata(S, ld);
		lua_pushcclosure(S, host_segment, 1);
		bad = luasb_set_global(lx->sb, "segment");
	}
	if (bad) {
		rl_err_add(L->errs, file, 1, 1, "cannot set up Lua: out of memory");
		rl_lua_free(lx);
		return NULL;
	}
	p->lua = lx;
	p->lua_call = rl_lua_call;
	p->lua_free = rl_lua_free;
	return lx;
}

/* "file.lua:12: message" -> line 12, "message" */
static void report(rl_loader *L, const char *name, const char *msg)
{
	size_t nl = strlen(name);
	int line = 1;
	const char *m = msg;

	if (strncmp(msg, name, nl) == 0 && msg[nl] == ':') {
		char *end;
		long v = strtol(msg + nl + 1, &end, 10);
		if (end != msg + nl + 1 && *end == ':') {
			line = v > 0 && v < 1000000000 ? (int)v : 1;
			m = end + 1;
			while (*m == ' ')
				m++;
		}
	}
	rl_err_add(L->errs, name, line, 1, "%s", m);
}

int rl_load_lua(rl_loader *L, const char *name, const char *buf, size_t n)
{
	rl_lua *lx = bridge(L, name);
	lfile_load *ld;
	char err[512];
	luasb_status st;

	if (!lx)
		return -1;
	ld = lx->load_state;
	ld->L = L;
	ld->file = name;
	ld->src = buf;
	ld->srclen = n;
	st = luasb_load(lx->sb, name, buf, n, err, sizeof err);
	ld->L = NULL;
	ld->src = NULL;
	if (st != LUASB_OK) {
		report(L, name, err);
		return -1;
	}
	return 0;
}
