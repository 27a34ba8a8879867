/* tests/unit/test-expr-table.c — the language, value by value, in the
 * style of jq's tests/jq.test: an expression and the text of what it must
 * give ("error: ..." for a run-time error, "L:C: ..." for a load error).
 * Names come from the fake host in test-expr-env.h:
 *   tier "gold", hour 9, net 12345, weekday "tue", channel "store",
 *   days_since_last_purchase null, price_f 2.5, tags ["vip","staff"],
 *   big INT64_MAX, small INT64_MIN, flag true, nothing null,
 *   attr.birth_month 11, attr.city "Pune", attr.name "Zoë Ärger";
 *   basket LATTE coffee 2x350, CROISSANT pastry 1x275, CHAI tea 3x200. */
#include "tests/unit/tap.h"
#include "tests/unit/test-expr-env.h"

static const struct { const char *src, *want; } table[] = {
	/* literals */
	{ "12", "12" },
	{ "12.5", "12.5" },
	{ "0.25e2", "25.0" },
	{ "1E3", "1000.0" },
	{ "\"text\"", "\"text\"" },
	{ "'single'", "\"single\"" },
	{ "\"a\\\"b\\\\c\"", "\"a\"b\\c\"" },
	{ "\"\\u00e9\" == \"é\"", "true" },
	{ "true", "true" },
	{ "false", "false" },
	{ "null", "null" },
	{ "[\"a\", \"b\"]", "[\"a\",\"b\"]" },
	{ "[]", "[]" },
	{ "[1, 2.5, \"x\", null, true]", "[1,2.5,\"x\",null,true]" },
	{ "[1 + 1, -3]", "[2,-3]" },
	/* + - * */
	{ "1 + 2", "3" },
	{ "1 + 2.5", "3.5" },
	{ "10 - 15", "-5" },
	{ "2.5 - 0.5", "2.0" },
	{ "6 * 7", "42" },
	{ "6 * 0.5", "3.0" },
	{ "-3 * -3", "9" },
	{ "net - 45", "12300" },
	{ "price_f * 4", "10.0" },
	/* / gives a float */
	{ "7 / 2", "3.5" },
	{ "6 / 3", "2.0" },
	{ "-7 / 2", "-3.5" },
	{ "1 / 3", "0.3333333333333333" },
	/* // floors toward -inf */
	{ "7 // 2", "3" },
	{ "-7 // 2", "-4" },          /* -3.5 floors to -4 */
	{ "7 // -2", "-4" },
	{ "-7 // -2", "3" },
	{ "6 // 3", "2" },
	{ "-6 // 3", "-2" },
	{ "7.5 // 2", "3.0" },
	{ "-7.5 // 2", "-4.0" },
	{ "net // 100", "123" },
	/* % takes the divisor's sign */
	{ "7 % 3", "1" },
	{ "-7 % 3", "2" },            /* -7 = 3 * -3 + 2 */
	{ "7 % -3", "-2" },           /* 7 = -3 * -3 - 2 */
	{ "-7 % -3", "-1" },
	{ "6 % 3", "0" },
	{ "-6 % 3", "0" },
	{ "7.5 % 2", "1.5" },
	{ "-7.5 % 2", "0.5" },        /* -7.5 = 2 * -4 + 0.5 */
	{ "7.5 % -2", "-0.5" },
	{ "1 // 0.1", "9.0" },        /* 0.1 is a little more than a tenth */
	{ "1 % 0.1", "0.09999999999999995" },
	{ "-7.5 % 2.5", "0.0" },
	{ "7.5 % -2.5", "-0.0" },     /* zero takes the divisor's sign too */
	{ "-7.5 // 2.5", "-3.0" },
	/* unary minus binds tightest */
	{ "-2 * 3", "-6" },
	{ "- -2", "2" },
	{ "-(2 + 3)", "-5" },
	{ "-price_f", "-2.5" },
	/* precedence: * before +, + before comparisons, comparisons before not,
	 * not before and, and before or */
	{ "1 + 2 * 3", "7" },
	{ "(1 + 2) * 3", "9" },
	{ "10 - 4 - 3", "3" },        /* left associative: (10 - 4) - 3 */
	{ "100 // 10 // 5", "2" },
	{ "2 * 3 % 4", "2" },         /* (2 * 3) % 4 */
	{ "1 + 2 == 3", "true" },
	{ "not 1 == 2", "true" },     /* not (1 == 2) */
	{ "true or false and false", "true" },   /* true or (false and false) */
	{ "(true or false) and false", "false" },
	{ "not true or true", "true" },          /* (not true) or true */
	{ "not (true or true)", "false" },
	{ "false and false or true", "true" },
	{ "hour >= 7 and hour < 11", "true" },
	{ "hour + 1 * 2 > 10", "true" },         /* 9 + 2 = 11 */
	{ "2 in [1, 2] and true", "true" },
	/* comparisons */
	{ "1 == 1.0", "true" },
	{ "1 != 1.0", "false" },
	{ "1 < 1.5", "true" },
	{ "2 <= 2", "true" },
	{ "3 > 2.999", "true" },
	{ "3 >= 3.0", "true" },
	{ "9007199254740993 == 9007199254740992.0", "false" },  /* 2^53 + 1 is not 2^53 */
	{ "9007199254740993 > 9007199254740992.0", "true" },
	{ "big < 9223372036854775808.0", "true" },
	{ "small == -9223372036854775808.0", "true" },
	{ "\"abc\" == \"abc\"", "true" },
	{ "\"abc\" < \"abd\"", "true" },
	{ "\"ab\" < \"abc\"", "true" },
	{ "\"b\" > \"abc\"", "true" },
	{ "\"a\" == \"A\"", "false" },
	{ "true == true", "true" },
	{ "true != false", "true" },
	{ "[1, 2] == [1, 2.0]", "true" },
	{ "[1, 2] == [2, 1]", "false" },
	{ "tags == [\"vip\", \"staff\"]", "true" },
	{ "tier == \"gold\"", "true" },
	{ "\"gold\" == tier", "true" },
	{ "10 > hour", "true" },
	{ "9 >= hour", "true" },
	{ "channel != \"app\"", "true" },
	/* in */
	{ "weekday in [\"mon\", \"tue\"]", "true" },
	{ "weekday in [\"sat\", \"sun\"]", "false" },
	{ "channel in [\"store\", \"app\"]", "true" },
	{ "3 in [1, 2, 3]", "true" },
	{ "3.0 in [1, 2, 3]", "true" },
	{ "4 in [1, 2, 3]", "false" },
	{ "\"vip\" in tags", "true" },
	{ "\"gold\" in tags", "false" },
	{ "1 in []", "false" },
	{ "[1] in [[1], [2]]", "true" },
	{ "hour in [8, 9, 10]", "true" },
	{ "weekday in [1, \"tue\"]", "true" },
	{ "weekday in [\"tuesday-but-longer-than-16\", \"tu\", \"tuf\"]", "false" },
	{ "attr.name in [\"Zoë Ärger\"]", "true" },
	{ "attr.name in [\"Zoë Ärger, with more than 16 bytes\", 11]", "false" },
	{ "attr.birth_month in [\"11\", 11.0]", "true" },
	/* null */
	{ "days_since_last_purchase == null", "true" },
	{ "days_since_last_purchase > 90", "false" },
	{ "days_since_last_purchase < 90", "false" },
	{ "null == false", "false" },
	{ "null != 0", "true" },
	{ "null in [null]", "false" },
	{ "not days_since_last_purchase", "1:5: 'not' needs a boolean, got int or null" },
	{ "nothing == null or nothing > 3", "true" },
	{ "nothing > 3 or nothing == null", "true" },
	{ "nothing != 5", "true" },
	{ "nothing == 5", "false" },
	{ "nothing >= 5 or nothing <= 5", "false" },
	{ "not (nothing < 5)", "true" },
	{ "tier != \"gold\" or nothing != 0", "true" },
	/* and/or short-circuit: the right side is never evaluated */
	{ "false and 1 // 0 == 1", "false" },
	{ "true or 1 // 0 == 1", "true" },
	{ "true and 1 // 0 == 1", "error: division by zero in '//'" },
	{ "false or big + 1 > 0", "error: integer overflow in '+'" },
	{ "flag and hour > 3", "true" },
	{ "not flag", "false" },
	/* neighbouring tests fused into one range or list test: same results */
	{ "hour >= 10 and hour <= 9", "false" },
	{ "hour > 8 and hour < 10", "true" },
	{ "hour > 9 and hour < 10", "false" },
	{ "hour < 10 and hour >= 9 and flag", "true" },
	{ "nothing >= 1 and nothing < 5", "false" },
	{ "price_f >= 2 and price_f < 3", "true" },       /* 2.5: not an int */
	{ "anyv >= 1 and anyv < 3", "error: cannot compare string with int using '>='" },
	{ "hour > 9223372036854775807 and hour < 3", "false" },
	{ "net + hour >= 12354 and net + hour < 12355", "true" },  /* 12345 + 9 */
	{ "big + hour > 0 and big + hour < 5", "error: integer overflow in '+'" },
	{ "tier == \"silver\" or tier == \"gold\"", "true" },
	{ "tier == \"silver\" or tier == \"bronze\" or hour == 9", "true" },
	{ "nothing == 1 or nothing == 2", "false" },
	{ "nothing == null or nothing == 2", "true" },
	{ "anyv == 1 or anyv == \"x\"", "true" },
	{ "hour == 8 or hour == 9.0", "true" },
	{ "not (weekday == \"mon\" or weekday == \"tue\")", "false" },
	{ "any_item(item.qty >= 2 and item.qty <= 3)", "true" },
	{ "count_qty(item.qty > 1 and item.qty < 3)", "2" },
	{ "count_qty(item.sku == \"LATTE\" or item.sku == \"CHAI\")", "5" },
	/* built-ins */
	{ "floor(2.7)", "2" },
	{ "floor(-2.1)", "-3" },
	{ "floor(5)", "5" },
	{ "ceil(2.1)", "3" },
	{ "ceil(-2.7)", "-2" },
	{ "ceil(7)", "7" },
	{ "round(2.5)", "3" },
	{ "round(-2.5)", "-3" },      /* half away from zero */
	{ "round(2.4999)", "2" },
	{ "round(0.5)", "1" },
	{ "round(-0.5)", "-1" },
	{ "round(3)", "3" },
	{ "abs(-3)", "3" },
	{ "abs(3)", "3" },
	{ "abs(-2.5)", "2.5" },
	{ "min(3, 1)", "1" },
	{ "min(3, 1.5, 2)", "1.5" },
	{ "max(3, 1.5, 2)", "3" },
	{ "max(1, 1.0)", "1" },       /* ties keep the first */
	{ "min(hour, 5) + max(hour, 5)", "14" },
	{ "len(\"abc\")", "3" },
	{ "len(\"\")", "0" },
	{ "len(attr.name)", "9" },    /* Zoë Ärger: 9 code points, 11 bytes */
	{ "len(tags)", "2" },
	{ "len([])", "0" },
	{ "lower(\"MiXeD 12\")", "\"mixed 12\"" },
	{ "upper(\"MiXeD\")", "\"MIXED\"" },
	{ "upper(attr.name)", "\"ZOë ÄRGER\"" },   /* ASCII letters only */
	{ "lower(weekday) == \"tue\"", "true" },
	{ "upper(tier) == \"GOLD\"", "true" },
	{ "contains(\"espresso\", \"press\")", "true" },
	{ "contains(\"espresso\", \"latte\")", "false" },
	{ "contains(\"abc\", \"\")", "true" },
	{ "contains(tags, \"vip\")", "true" },
	{ "contains(tags, 3)", "false" },
	{ "starts_with(\"espresso\", \"esp\")", "true" },
	{ "starts_with(\"esp\", \"espresso\")", "false" },
	{ "starts_with(tier, \"go\")", "true" },
	{ "starts_with(\"x\", \"\")", "true" },
	/* attributes and host functions */
	{ "attr.birth_month == 11", "true" },
	{ "attr.city == \"Pune\" and channel == \"store\"", "true" },
	{ "attr.birth_month + 1", "12" },
	{ "any_item(item.category == \"coffee\")", "true" },
	{ "any_item(item.category == \"beans\")", "false" },
	{ "count_qty(item.category == \"tea\")", "3" },
	{ "sum_net(true)", "1575" },  /* 700 + 275 + 600 */
	{ "sum_net(item.sku in [\"LATTE\", \"CHAI\"]) // 100", "13" },  /* 1300 // 100 */
	{ "any_item(item.net > 600) and any_item(item.category == \"pastry\")", "true" },
	{ "coupon(\"SAVE10\") and net >= 10000", "true" },
	{ "not coupon(\"BEANS20\")", "true" },
	/* run-time errors */
	{ "net * big", "error: integer overflow in '*'" },
	{ "hour // 0", "error: division by zero in '//'" },
	{ "hour % 0", "error: division by zero in '%'" },
	{ "price_f / 0", "error: division by zero in '/'" },
	{ "nothing + 1", "error: '+' needs numbers, got null" },
	{ "abs(nothing)", "error: function 'abs' argument 1 must be a number, got null" },
	/* a name or a host call with an int constant (the arith fast path):
	 * the same int64 results and errors as the general code */
	{ "big + 1", "error: integer overflow in '+'" },
	{ "1 + big", "error: integer overflow in '+'" },
	{ "big + -1", "9223372036854775806" },
	{ "small - 1", "error: integer overflow in '-'" },
	{ "1 - small", "error: integer overflow in '-'" },   /* 1 + 2^63 */
	{ "-1 - small", "9223372036854775807" },             /* -1 + 2^63 */
	{ "big * 2", "error: integer overflow in '*'" },
	{ "2 * big", "error: integer overflow in '*'" },
	{ "-1 * small", "error: integer overflow in '*'" },
	{ "small * 1", "-9223372036854775808" },
	{ "small // 2", "-4611686018427387904" },
	{ "small // 3", "-3074457345618258603" },   /* -3074457345618258602.67 floors */
	{ "small // -2", "4611686018427387904" },
	{ "big // -2", "-4611686018427387904" },    /* -4611686018427387903.5 floors */
	{ "small // -1", "error: integer overflow in '//'" },
	{ "hour // -1", "-9" },
	{ "attr.birth_month // -2", "-6" },         /* -5.5 floors to -6 */
	{ "attr.birth_month // -11", "-1" },
	{ "attr.birth_month // 12", "0" },
	{ "attr.birth_month // -12", "-1" },        /* -0.92 floors to -1 */
	{ "net // 100 * 2", "246" },                /* 123 * 2 */
	{ "nothing * 2", "error: '*' needs numbers, got null" },
	{ "2 - nothing", "error: '-' needs numbers, got null" },
	{ "nothing // 10", "error: '//' needs numbers, got null" },
	{ "anyv + 1", "error: '+' needs numbers, got string" },
	{ "1 + anyv", "error: '+' needs numbers, got string" },
	{ "price_f // 2", "1.0" },
	{ "2 - price_f", "-0.5" },
	{ "count_qty(item.category == \"tea\") * 20", "60" },
	{ "20 * count_qty(item.category == \"tea\")", "60" },
	{ "sum_net(true) // 100", "15" },           /* 1575 // 100 */
	{ "sum_net(true) - 2000", "-425" },
	{ "0 - sum_net(true)", "-1575" },
	{ "echo(small) // 10", "-922337203685477581" },   /* ...580.8 floors */
	{ "echo(-7) // 2", "-4" },
	{ "echo(big) + 1", "error: integer overflow in '+'" },
	{ "echo(nothing) + 1", "error: function 'echo' argument 1 must be int or string, got null" },
	{ "echo(\"x\") + 1", "error: '+' needs numbers, got string" },
	{ "count_qty(item.qty * 100 > 250)", "3" },            /* only CHAI: 300 */
	{ "sum_net(item.net // 300 == 2)", "1300" },            /* 700 // 300, 600 // 300 */
	/* a name compared with a name */
	{ "attr.birth_month == hour", "false" },    /* 11 vs 9 */
	{ "attr.birth_month != hour", "true" },
	{ "attr.birth_month > hour", "true" },
	{ "attr.birth_month >= hour", "true" },
	{ "hour < attr.birth_month", "true" },
	{ "hour <= attr.birth_month", "true" },
	{ "hour == hour", "true" },
	{ "big > small", "true" },
	{ "nothing == hour", "false" },
	{ "nothing != hour", "true" },
	{ "nothing < hour", "false" },
	{ "hour >= nothing", "false" },
	{ "nothing == days_since_last_purchase", "true" },   /* null == null */
	{ "nothing <= days_since_last_purchase", "false" },  /* ordering with null */
	{ "price_f < hour", "true" },
	{ "hour == price_f", "false" },
	{ "tier == weekday", "false" },
	{ "attr.city < tier", "true" },             /* "P" < "g" bytewise */
	{ "anyv < hour", "error: cannot compare string with int using '<'" },
	{ "anyv == hour", "false" },
	{ "hour == attr.birth_month or attr.birth_month > hour and nothing == nothing", "true" },
	/* host arguments: constants handed over as built at load, anything
	 * else evaluated and checked per call */
	{ "echo(\"x\")", "\"x\"" },
	{ "echo(-7)", "-7" },
	{ "echo(hour)", "9" },
	{ "echo(nothing)", "error: function 'echo' argument 1 must be int or string, got null" },
	{ "echo(anyv)", "\"x\"" },
	{ "coupon(\"BEANS20\") or coupon(\"SAVE10\")", "true" },
	/* load errors */
	{ "\"a\" + \"b\"", "1:1: '+' needs numbers, got string" },
	{ "hour + \"b\"", "1:8: '+' needs numbers, got string" },
	{ "true + 1", "1:1: '+' needs numbers, got boolean" },
	{ "tags * 2", "1:1: '*' needs numbers, got list" },
	{ "true < false", "1:6: cannot compare boolean with boolean using '<'" },
	{ "tags < tags", "1:6: cannot compare list with list using '<'" },
	{ "1 == \"1\"", "1:3: cannot compare int with string using '=='" },
	{ "flag == 1", "1:6: cannot compare boolean with int using '=='" },
	{ "round(1, 2)", "1:1: function 'round' takes 1 argument, got 2" },
	{ "len()", "1:1: function 'len' takes 1 argument, got 0" },
	{ "contains(\"a\")", "1:1: function 'contains' takes 2 arguments, got 1" },
	{ "max(1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17)", "1:44: too many arguments (at most 16)" },
	{ "abs(\"x\")", "1:5: function 'abs' argument 1 must be a number, got string" },
	{ "len(3)", "1:5: function 'len' argument 1 must be a string or a list, got int" },
};

int main(void)
{
	expr_env *env = tx_env();
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		is_str(tx_run(env, table[i].src, ET_ANY), table[i].want, "%s", table[i].src);
	tap_diag("%zu expressions", sizeof table / sizeof table[0]);
	expr_env_free(env);
	return tap_done();
}
