/* tests/unit/test-expr.c — the expression language through its public API
 * (lang/expr.h): load-time errors with exact text and positions, overflow
 * at the int64 edges, null rules, host functions with predicates over a
 * fake basket, binding, `needs` bits, constants, scratch space, nesting
 * bounds. The value-by-value table of operators is test-expr-table.c. */
#include "tests/unit/tap.h"
#include "tests/unit/test-expr-env.h"

static expr_env *env;

#define RUN(src, want) is_str(tx_run(env, (src), ET_ANY), (want), "%s", (src))
#define RUNW(src, w, want) is_str(tx_run(env, (src), (w)), (want), "%s (want %s)", (src), #w)

static void test_overflow(void)
{
	/* INT64_MAX = 9223372036854775807, INT64_MIN = -9223372036854775808 */
	RUN("big + 1", "error: integer overflow in '+'");
	RUN("big + 0", "9223372036854775807");
	RUN("small - 1", "error: integer overflow in '-'");
	RUN("small + 1", "-9223372036854775807");
	RUN("small // -1", "error: integer overflow in '//'");
	RUN("small % -1", "0");
	RUN("small // 1", "-9223372036854775808");
	RUN("-small", "error: integer overflow in '-'");
	RUN("-big", "-9223372036854775807");
	RUN("abs(small)", "error: integer overflow in 'abs'");
	RUN("abs(small + 1)", "9223372036854775807");
	RUN("big * 2", "error: integer overflow in '*'");
	RUN("small * -1", "error: integer overflow in '*'");
	RUN("4611686018427387904 * 2", "error: integer overflow in '*'");   /* 2^62 * 2 = 2^63 */
	RUN("4611686018427387904 * -2", "-9223372036854775808");           /* -2^63 fits */
	RUN("3037000499 * 3037000499", "9223372030926249001");             /* floor(sqrt(2^63-1))^2 */
	RUN("3037000500 * 3037000500", "error: integer overflow in '*'");  /* 9223372037000250000 > max */
	RUN("-9223372036854775808", "-9223372036854775808");
	RUN("9223372036854775807", "9223372036854775807");
	RUN("9223372036854775808", "1:1: integer literal out of range");
	RUN("-9223372036854775809", "1:2: integer literal out of range");
	RUN("- 9223372036854775808", "-9223372036854775808");
	/* constant folding must not hide the error: it stays a run-time one */
	RUN("9223372036854775807 + 1", "error: integer overflow in '+'");
	RUN("1 // 0", "error: division by zero in '//'");
	RUN("1 % 0", "error: division by zero in '%'");
	RUN("1 / 0", "error: division by zero in '/'");
	RUN("1.5 // 0.0", "error: division by zero in '//'");
	RUN("1e308 * 10", "error: float overflow in '*'");
	RUN("floor(1e300)", "error: integer overflow in 'floor'");
	RUN("round(-9.3e18)", "error: integer overflow in 'round'");
	RUN("ceil(-9.2e18)", "-9200000000000000000");
	RUN("sum_net(true) * big", "error: integer overflow in '*'");
}

static void test_null(void)
{
	/* days_since_last_purchase and nothing are null at run time */
	RUN("days_since_last_purchase == null", "true");
	RUN("days_since_last_purchase != null", "false");
	RUN("days_since_last_purchase > 90", "false");
	RUN("days_since_last_purchase <= 90", "false");
	RUN("not (days_since_last_purchase > 90)", "true");
	RUN("days_since_last_purchase + 1", "error: '+' needs numbers, got null");
	RUN("1 - nothing", "error: '-' needs numbers, got null");
	RUN("-nothing", "error: '-' needs a number, got null");
	RUN("nothing * 2 > 1", "error: '*' needs numbers, got null");
	RUN("floor(nothing)", "error: function 'floor' argument 1 must be a number, got null");
	RUN("nothing in [1, 2]", "false");
	RUN("nothing in [null]", "false");
	RUN("null == null", "true");
	RUN("null != 1", "true");
	RUN("not null", "true");
	RUN("null and true", "false");
	RUN("null or true", "true");
	RUN("null or null", "false");
	RUN("true and null", "false");
	RUN("contains(tags, nothing)", "false");
	RUN("contains(nothing, 1)", "1:10: function 'contains' argument 1 must be a string or a list, got int or null");
	/* a literal null where it can never make sense is refused at load */
	RUN("null < 1", "1:6: cannot compare null with int using '<'");
	RUN("null + 1", "1:1: '+' needs numbers, got null");
	RUN("len(null)", "1:5: function 'len' argument 1 must be a string or a list, got null");
}

static void test_errors(void)
{
	/* columns are 1-based and point at the offending token */
	RUN("tierr == \"gold\"", "1:1: unknown name 'tierr'");
	RUN("tier == \"gold\" and hourr > 3", "1:20: unknown name 'hourr'");
	RUN("flor(1.5)", "1:1: unknown function 'flor'");
	RUN("floor(1, 2)", "1:1: function 'floor' takes 1 argument, got 2");
	RUN("min(1)", "1:1: function 'min' takes at least 2 arguments, got 1");
	RUN("coupon()", "1:1: function 'coupon' takes 1 argument, got 0");
	RUN("any_item(1, 2)", "1:1: function 'any_item' takes 1 argument, got 2");
	RUN("\"a\" * 2", "1:1: '*' needs numbers, got string");
	RUN("2 * \"a\"", "1:5: '*' needs numbers, got string");
	RUN("weekday > 3", "1:9: cannot compare string with int using '>'");
	RUN("weekday == 3", "1:9: cannot compare string with int using '=='");
	RUN("tier == 3", "1:6: cannot compare string with int using '=='");
	RUN("\"a\" + \"b\"", "1:1: '+' needs numbers, got string");
	RUN("weekday + 1", "1:1: '+' needs numbers, got string");
	RUN("weekday in [1, 2]", "1:9: cannot compare string with a list of int using 'in'");
	RUN("hour in 3", "1:9: 'in' needs a list on its right, got int");
	RUN("hour and true", "1:1: 'and' needs a boolean, got int");
	RUN("not weekday", "1:5: 'not' needs a boolean, got string");
	RUN("-weekday", "1:2: '-' needs a number, got string");
	RUN("floor(\"x\")", "1:7: function 'floor' argument 1 must be a number, got string");
	RUN("lower(3)", "1:7: function 'lower' argument 1 must be a string, got int");
	RUN("starts_with(tier, 1)", "1:19: function 'starts_with' argument 2 must be a string, got int");
	RUN("coupon(3)", "1:8: function 'coupon' argument 1 must be string, got int");
	RUN("coupon(weekday)", "1:8: function 'coupon' argument 1 must be a string literal");
	RUN("coupon(\"NOPE\")", "1:8: unknown coupon 'NOPE'");
	RUN("any_item(item.qty)", "1:10: function 'any_item' argument 1 must be a condition, got int");
	RUN("any_item(item.sku == 3)", "1:19: cannot compare string with int using '=='");
	RUN("item.sku == \"x\"", "1:1: name 'item.sku' cannot be used here, only inside a predicate");
	RUN("any_item(count_qty(true) > 1)", "1:10: function 'count_qty' cannot be used inside the predicate of 'any_item'");
	RUN("any_item(item.qty > 1 and any_item(true))", "1:27: function 'any_item' cannot be used inside the predicate of 'any_item'");
	RUN("any_item(coupon(\"SAVE10\"))", "true");   /* no predicate of its own: fine */
	RUN("floor", "1:1: 'floor' is a function: call it with (...)");
	RUN("attr.nope == 1", "1:1: unknown name 'attr.nope'");
	RUN("attr == 1", "1:1: unknown name 'attr'");
	RUN("[hour]", "1:2: list elements must be constants");
	/* syntax */
	RUN("", "1:1: empty expression");
	RUN("   ", "1:4: empty expression");
	RUN("(1 + 2", "1:7: expected ')', got end of expression");
	RUN("1 +", "1:4: unexpected end of expression");
	RUN("1 2", "1:3: unexpected number");
	RUN("hour = 3", "1:6: unexpected '=' (use '==' to compare)");
	RUN("hour > 3 && flag", "1:10: unexpected '&' (use 'and')");
	RUN("!flag", "1:1: unexpected '!' (use 'not')");
	RUN("1 < 2 < 3", "1:7: comparisons cannot be chained: use 'and' before '<'");
	RUN("\"abc", "1:1: unterminated string");
	RUN("\"a\\qb\"", "1:3: unknown escape '\\q' in string");
	RUN("\"\\u12\"", "1:2: bad \\u escape: need 4 hex digits");
	RUN("hour # comment", "1:6: unexpected character '#'");
	RUN("12abc", "1:1: malformed number");
	RUN("1e999", "1:1: number out of range");
	RUN("\"\xff\"", "1:2: invalid UTF-8 in string");
	RUN("f(1,)", "1:5: unexpected ')'");
	RUN("[1, 2", "1:6: expected ',' or ']', got end of expression");
	RUN("min(1, 2", "1:9: expected ',' or ')', got end of expression");
	RUN("item.", "1:5: unexpected character '.'");
	/* columns count characters, not bytes */
	RUN("\"é\" == hourr", "1:8: unknown name 'hourr'");
	/* result types */
	RUNW("hour + 1", ET_BOOL | ET_NULL, "1:1: expected boolean, got int");
	RUNW("  tier", ET_BOOL | ET_NULL, "1:3: expected boolean, got string");
	RUNW("(hour > 1)", ET_NUM, "1:1: expected number, got boolean");
	RUNW("hour / 2", ET_INT, "1:1: expected int, got float");
	/* a name declared as any type is checked when it has a value */
	RUNW("anyv", ET_BOOL | ET_NULL, "error: expected boolean, got string");
	RUN("anyv + 1", "error: '+' needs numbers, got string");
	RUN("anyv and true", "error: 'and' needs a boolean, got string");
	RUN("anyv < 1", "error: cannot compare string with int using '<'");
}

static void test_positions(void)
{
	expr_error err;
	/* a block scalar: the expression starts at line 10 column 12, and its
	 * following lines at column 7 */
	const char *src = "tier == \"gold\"\nand hourr > 3";
	expr_pos pos = { 10, 12, 7 };
	expr *e = expr_compile(env, EXPR_SCOPE_TOP, src, strlen(src), pos, ET_BOOL | ET_NULL, &err);
	ok(e == NULL, "multi-line error");
	is_int(err.line, 11, "line of second-line error");
	is_int(err.col, 11, "column 7 + 4 on the second line");
	is_str(err.msg, "unknown name 'hourr'", "message");
	src = "tierr";
	e = expr_compile(env, EXPR_SCOPE_TOP, src, strlen(src), pos, ET_BOOL | ET_NULL, &err);
	is_int(err.line, 10, "first line");
	is_int(err.col, 12, "first column");
	pos = (expr_pos){ 3, 5, 0 };
	src = "hour > 1 and\n\n  x";
	e = expr_compile(env, EXPR_SCOPE_TOP, src, strlen(src), pos, ET_BOOL | ET_NULL, &err);
	is_int(err.line, 5, "third line");
	is_int(err.col, 3, "cont_col 0 means column 1: 1 + 2");
	/* a NUL byte is just a bad character */
	e = expr_compile(env, EXPR_SCOPE_TOP, "1 +\0", 4, (expr_pos){ 1, 1, 1 }, ET_ANY, &err);
	ok(e == NULL, "NUL byte refused");
	is_str(err.msg, "unexpected character '\\x00'", "NUL message");
	is_int(err.col, 4, "NUL column");
}

static void test_host(void)
{
	/* basket: LATTE coffee 2 x 350 = 700, CROISSANT pastry 1 x 275 = 275,
	 * CHAI tea 3 x 200 = 600 (tags ["decaf"]) */
	RUN("any_item(item.category == \"coffee\")", "true");
	RUN("any_item(item.category == \"beans\")", "false");
	RUN("count_qty(item.category != \"coffee\")", "4");          /* 1 + 3 */
	RUN("sum_net(item.price >= 275)", "975");                     /* 700 + 275 */
	RUN("sum_net(item.category == \"tea\") // 100", "6");         /* 600 // 100 */
	RUN("20 * count_qty(item.category == \"tea\")", "60");
	RUN("any_item(contains(item.tags, \"decaf\"))", "true");
	RUN("any_item(item.sku in [\"CHAI\", \"MOCHA\"]) and hour < 11", "true");
	/* a predicate sees request names too */
	RUN("count_qty(item.qty > 1 and tier == \"gold\")", "5");     /* 2 + 3 */
	RUN("any_item(item.net > net)", "false");
	RUN("coupon(\"SAVE10\")", "true");
	RUN("coupon(\"BEANS20\")", "false");
	RUN("coupon(\"BEANS20\") or coupon(\"SAVE10\")", "true");
	RUN("echo(hour) + 1", "10");
	RUN("echo(nothing)", "error: function 'echo' argument 1 must be int or string, got null");
	RUN("echo(\"a\") == \"a\"", "true");
	/* run-time errors inside a predicate come out of the host call */
	RUN("any_item(item.qty // 0 > 1)", "error: division by zero in '//'");

	expr_error err;
	const char *src = "any_item(item.net > 500) and attr.city == \"Pune\"";
	expr *e = expr_compile(env, EXPR_SCOPE_TOP, src, strlen(src), (expr_pos){ 1, 1, 1 }, ET_BOOL | ET_NULL, &err);
	ok(e != NULL, "compiles: %s", e ? "" : err.msg);
	is_int(expr_uses(e), NEED_BASKET | NEED_ATTR, "uses basket (function and item.net) and attr");
	is_int(expr_result_type(e), ET_BOOL, "boolean");
	expr_frame f = { .vars = tx_vars };
	bool b = false;
	is_int(expr_eval_bool(e, &f, &b), 0, "evaluates");
	ok(b, "LATTE 700 > 500 and Pune");
	expr_free(e);

	src = "coupon(\"SAVE10\")";
	e = expr_compile(env, EXPR_SCOPE_TOP, src, strlen(src), (expr_pos){ 1, 1, 1 }, ET_BOOL | ET_NULL, &err);
	is_int(expr_uses(e), NEED_COUPON, "coupon needs");
	expr_free(e);

	/* an items: expression is compiled in the item scope directly */
	src = "item.category == \"tea\" or item.qty >= 2";
	e = expr_compile(env, EXPR_SCOPE_ITEM, src, strlen(src), (expr_pos){ 1, 1, 1 }, ET_BOOL | ET_NULL, &err);
	ok(e != NULL, "item scope compiles");
	int hits = 0;
	for (int i = 0; i < 3; i++) {
		f.item = tx_items[i];
		if (expr_eval_bool(e, &f, &b) == 0 && b)
			hits++;
	}
	is_int(hits, 2, "LATTE (qty 2) and CHAI (tea)");
	expr_free(e);
}

static void test_misc(void)
{
	expr_error err;
	expr_value v;
	expr *e = expr_compile(env, EXPR_SCOPE_TOP, "2 * 3 + len(\"abc\")", 18, (expr_pos){ 1, 1, 1 }, ET_NUM, &err);
	ok(e && expr_is_const(e, &v) && v.t == EV_INT && v.u.i == 9, "folded to 9");
	expr_free(e);
	e = expr_compile(env, EXPR_SCOPE_TOP, "hour * 2", 8, (expr_pos){ 1, 1, 1 }, ET_NUM, &err);
	ok(e && !expr_is_const(e, &v), "not constant");
	is_int(expr_result_type(e), ET_INT, "int");
	expr_free(e);
	e = expr_compile(env, EXPR_SCOPE_TOP, "nothing * 2", 11, (expr_pos){ 1, 1, 1 }, ET_NUM, &err);
	is_int(expr_result_type(e), ET_INT, "int, not null: arithmetic never gives null");
	expr_free(e);
	e = expr_compile(env, EXPR_SCOPE_TOP, "1 // 0", 6, (expr_pos){ 1, 1, 1 }, ET_NUM, &err);
	ok(e && !expr_is_const(e, &v), "a failing constant is not folded");
	expr_free(e);

	/* lower/upper need scratch space: none, and too little */
	e = expr_compile(env, EXPR_SCOPE_TOP, "lower(weekday) == \"tue\"", 23, (expr_pos){ 1, 1, 1 }, ET_BOOL, &err);
	expr_frame f = { .vars = tx_vars };
	is_int(expr_eval(e, &f, &v), -1, "no scratch");
	is_str(f.err, "out of string space in 'lower'", "scratch message");
	char small[4];
	f.scratch = small;
	f.scratch_cap = sizeof small;
	is_int(expr_eval(e, &f, &v), 0, "3 bytes fit in 4");
	ok(v.t == EV_BOOL && v.u.b, "tue");
	is_int(expr_eval(e, &f, &v), -1, "the second 3 do not: the caller resets per request");
	f.scratch_used = 0;
	is_int(expr_eval(e, &f, &v), 0, "after reset");
	expr_free(e);

	/* nesting bounds */
	char buf[4096];
	int d;
	for (d = 0; d < 300; d++)
		buf[d] = '(';
	buf[d++] = '1';
	for (int k = 0; k < 300; k++)
		buf[d++] = ')';
	buf[d] = '\0';
	RUN(buf, "1:201: expression nested too deeply");
	for (d = 0; d < 150; d++)
		buf[d] = '(';
	buf[d++] = '1';
	for (int k = 0; k < 150; k++)
		buf[d++] = ')';
	buf[d] = '\0';
	RUN(buf, "1");
	d = 0;
	for (int k = 0; k < 400; k++)
		d += snprintf(buf + d, sizeof buf - d, "1+");
	snprintf(buf + d, sizeof buf - d, "1");
	RUN(buf, "1:400: expression nested too deeply");
	d = 0;
	for (int k = 0; k < 400; k++)
		d += snprintf(buf + d, sizeof buf - d, "not ");
	snprintf(buf + d, sizeof buf - d, "true");
	RUN(buf, "1:801: expression nested too deeply");
	d = 0;
	for (int k = 0; k < 100; k++)
		d += snprintf(buf + d, sizeof buf - d, "-");
	snprintf(buf + d, sizeof buf - d, "1");
	RUN(buf, "1");   /* 100 minus signs: even */

	/* environment declarations that make no sense are refused */
	expr_env *e2 = expr_env_new();
	is_int(expr_env_name(e2, 0, "a", ET_INT, 0), 0, "declare a");
	is_int(expr_env_name(e2, 0, "a", ET_INT, 1), -1, "duplicate a");
	is_int(expr_env_name(e2, 2, "b", ET_INT, 0), -1, "no scope 2");
	is_int(expr_env_name(e2, 0, "", ET_INT, 0), -1, "empty name");
	expr_func_decl fd = { .name = "len", .nargs = 1, .arg_types = { ET_STR }, .ret = ET_INT };
	is_int(expr_env_func(e2, &fd), -1, "cannot shadow a built-in");
	fd.name = "f";
	fd.nargs = 5;
	is_int(expr_env_func(e2, &fd), -1, "at most 4 arguments");
	is_int(expr_env_name_needs(e2, "zz", 1), -1, "needs on an unknown name");
	expr_env_free(e2);
}

int main(void)
{
	env = tx_env();
	test_overflow();
	test_null();
	test_errors();
	test_positions();
	test_host();
	test_misc();
	expr_env_free(env);
	return tap_done();
}
