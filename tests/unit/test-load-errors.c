/* tests/unit/test-load-errors.c — every load error of a program, with its
 * exact `file:line:column: message` text: unknown keys, wrong types,
 * duplicates, tiers, weights, dates, undefined names, segment cycles,
 * decimals, qualify with request names, Lua files, ordering across files
 * and the 100-error cap. Fixtures: tests/data/rules/. */
#include "tests/unit/test-rules-util.h"

static const char *data(const char *rel)
{
	static char path[1024];
	const char *top = getenv("top_srcdir");
	snprintf(path, sizeof path, "%s/tests/data/rules/%s", top ? top : TOP_SRCDIR, rel);
	return path;
}

static void test_fixture(void)
{
	/* positions counted by hand in tests/data/rules/errors/program.yaml */
	is_str(tr_errors_dir(data("errors")),
		"program.yaml:2:11: unknown timezone 'Mars/Base' (an IANA name such as Asia/Kolkata)\n"
		"program.yaml:5:14: the first tier is the base tier and takes no 'qualify'\n"
		"program.yaml:6:5: tier 'silver' needs 'qualify' (only the first tier has none)\n"
		"program.yaml:8:14: qualify may use customer names only (unknown name 'net')\n"
		"program.yaml:11:3: segments form a cycle: a -> b -> a\n"
		"program.yaml:12:14: unknown segment 'nope'\n"
		"program.yaml:15:19: variant weight must be a positive integer (at most 1000000)\n"
		"program.yaml:17:10: experiment 'e1' ends before it starts\n"
		"program.yaml:20:5: unknown key 'wen' in rule\n"
		"program.yaml:21:15: 'priority' must be an integer\n"
		"program.yaml:22:25: 'percent' has more than two decimals\n"
		"program.yaml:23:11: duplicate rule 'r1' (first defined at program.yaml:19:11)\n"
		"program.yaml:26:14: unknown segment 'zzz'\n"
		"program.yaml:27:17: unknown experiment 'e9'\n"
		"program.yaml:28:24: 'points_multiplier' has more than two decimals\n"
		"program.yaml:29:11: 'stop' must be true or false\n"
		"program.yaml:32:14: experiment 'e1' has no variant 'q'\n"
		"program.yaml:33:11: unknown name 'nosuch'\n"
		"program.yaml:35:11: rule 'r4' has no action (discount, points, bonus_points, "
		"points_multiplier, referrer_bonus_points or message)\n"
		"program.yaml:36:15: unexpected end of expression",
		"every error of the fixture, sorted, with positions");
}

static void test_files(void)
{
	/* a-more.yaml sorts before b-promos.yaml and program.yaml; a rule of
	 * a-more.yaml may use a segment that b-promos.yaml defines later */
	is_str(tr_errors_dir(data("multi")),
		"a-more.yaml:1:1: 'currency' belongs in program.yaml, not in a rules file\n"
		"a-more.yaml:3:11: duplicate rule 'base' (first defined at program.yaml:4:11)\n"
		"b-promos.yaml:5:5: unknown key 'bogus' in rule",
		"errors of several files sorted by file, line, column");
	is_str(tr_errors_dir(data("lua")), "", "a Lua file adds its rules (rules/load_lua.c)");
	const char *le = tr_errors_dir(data("lua-bad"));
	ok(strncmp(le, "extra.lua:", 10) == 0 && strstr(le, "'pointz'") != NULL,
		"a Lua rule table with a wrong key: a load error in that file");
	is_str(tr_errors_dir("/nonexistent/prog"),
		"/nonexistent/prog:1:1: cannot open the program: No such file or directory", "missing path");
	/* a YAML complex key spanning lines: the message stays one line, the
	 * key's line break escaped (lang/oneline.h) */
	const char *ck = tr_write("program.yaml", "rules:\n  - name: a\n    ? when\n\n      - x\n    : true\n    points: 1\n", NULL);
	is_str(tr_errors_dir(ck), "program.yaml:3:7: unknown key 'when\\n- x' in rule",
		"a key over two lines is quoted on one");
	tr_cleanup(ck);
	const char *d = tr_write("other.yaml", "rules: []\n", NULL);
	is_str(tr_errors_dir(d), "program.yaml:1:1: cannot open: No such file or directory",
		"a directory needs program.yaml");
	tr_cleanup(d);
}

static void test_small(void)
{
	/* a directory of the tz database passed access() and loaded as UTC
	 * without a word (found reviewing what the program fuzzer reaches) */
	is_str(tr_errors("program: p\ntimezone: America\n"),
		"program.yaml:2:11: unknown timezone 'America' (an IANA name such as Asia/Kolkata)",
		"a tz database directory is no timezone");
	is_str(tr_errors("program: p\ntimezone: zone.tab\n"),
		"program.yaml:2:11: unknown timezone 'zone.tab' (an IANA name such as Asia/Kolkata)",
		"a tz database table is no timezone");
	is_str(tr_errors("program: p\ntimezone: America/New_York\n"), "", "a zone in a directory is one");
	is_str(tr_errors("rules:\n  - name: a\n    points: 1\n    points: 2\n"),
		"program.yaml:4:5: duplicate key 'points'", "duplicate key");
	is_str(tr_errors("rules:\n  - name: a\n    stop: on\n    points: 1\n"),
		"program.yaml:3:11: 'stop' must be true or false", "YAML 1.2: `on` is no boolean");
	is_str(tr_errors("rules:\n  - name: yes\n    message: yes\n"), "",
		"YAML 1.2: `yes` is a string (a name and a message)");
	is_str(tr_errors("rules:\n  - name: a\n    message: true\n"),
		"program.yaml:3:14: 'message' must be a string", "true is a boolean");
	is_str(tr_errors("rules:\n  - name: a\n    discount: {percent: 0.5, amount: 3}\n"),
		"program.yaml:3:15: 'discount' needs exactly one of percent, amount, free, buy/get",
		"two discount kinds");
	is_str(tr_errors("rules:\n  - name: a\n    discount: {percent: 101}\n"),
		"program.yaml:3:25: 'percent' must be over 0.00 and at most 100.00", "percent over 100");
	is_str(tr_errors("rules:\n  - name: a\n    discount: {percent: 12.50}\n"), "",
		"12.50 has two decimals");
	is_str(tr_errors("rules:\n  - name: a\n    discount: {buy: 2}\n"),
		"program.yaml:3:21: 'buy' needs 'get'", "buy without get");
	is_str(tr_errors("rules:\n  - name: a\n    discount: {free: 0}\n"),
		"program.yaml:3:22: 'free' must be between 1 and 1000000000", "free 0");
	is_str(tr_errors("rules:\n  - name: a\n    variant: x\n    points: 1\n"),
		"program.yaml:3:14: 'variant' needs 'experiment'", "variant without experiment");
	is_str(tr_errors("rules:\n  - name: a\n    limit: {window_days: 3}\n    points: 1\n"),
		"program.yaml:3:12: 'limit' needs 'per_customer'", "limit needs per_customer");
	is_str(tr_errors("experiments:\n  - name: e\n    variants: {a: -1}\n"),
		"program.yaml:3:19: variant weight must be a positive integer (at most 1000000)",
		"negative weight");
	is_str(tr_errors("experiments:\n  - name: e\n    variants: {a: 1}\n    start: 2026-02-30\n"),
		"program.yaml:4:12: 'start' is not a calendar date", "30 February");
	is_str(tr_errors("experiments:\n  - name: e\n    variants: {a: 1}\n    traffic: 50.125\n"),
		"program.yaml:4:14: 'traffic' has more than two decimals", "traffic decimals");
	is_str(tr_errors("segments:\n  s: segment(\"s\")\nrules:\n  - name: a\n    segment: s\n    points: 1\n"),
		"program.yaml:2:3: segments form a cycle: s -> s", "a segment naming itself");
	is_str(tr_errors("tiers:\n  - name: b\n  - name: s\n    qualify: spend_12m > 1 and weekday == \"mon\"\n"),
		"program.yaml:4:32: qualify may use customer names only (unknown name 'weekday')",
		"qualify with a request name, at the name");
	is_str(tr_errors("tiers:\n  - name: b\n  - name: b\n    qualify: points > 1\n"),
		"program.yaml:3:11: duplicate tier 'b'", "duplicate tier");
	is_str(tr_errors("rules:\n  - name: a\n    when: |\n      net > 1 and\n      nosuch\n    points: 1\n"),
		"program.yaml:5:7: unknown name 'nosuch'", "block scalar: error on its own line");
	is_str(tr_errors("rules:\n  - name: a\n    when: \"x\" + 1\n    points: 1\n"),
		"program.yaml:3:15: YAML syntax: did not find expected key while parsing a block mapping",
		"a YAML syntax error") ;
	is_str(tr_errors("rules: 5\n"), "program.yaml:1:8: 'rules' must be a list", "rules must be a list");
	is_str(tr_errors("- 1\n"), "program.yaml:1:1: a program file must be a YAML mapping", "not a mapping");
	is_str(tr_errors("points: {value: 0}\n"), "program.yaml:1:17: 'value' must be between 1 and 1000000000",
		"point value 0");
	is_str(tr_errors("currency: rupees\n"), "program.yaml:1:11: 'currency' must be an ISO 4217 code such as INR",
		"currency code");
	is_str(tr_errors("a: &x 1\nb: *x\n"), "program.yaml:2:4: YAML aliases are not supported", "aliases");

	/* more than 100 errors: the first 100 after sorting */
	char *big = malloc(200000);
	size_t o = (size_t)sprintf(big, "rules:\n");
	for (int i = 0; i < 150; i++)
		o += (size_t)sprintf(big + o, "  - name: r%d\n    bad%d: 1\n    points: 1\n", i, i);
	program *p = tr_load(big);
	ok(p == NULL, "150 errors refuse the program");
	int lines = 1;
	for (const char *s = tr_errbuf; *s; s++)
		lines += *s == '\n';
	is_int(lines, 100, "at most 100 errors are reported");
	ok(strstr(tr_errbuf, "program.yaml:3:5: unknown key 'bad0' in rule") == tr_errbuf, "first error first");
	ok(strstr(tr_errbuf, "program.yaml:300:5: unknown key 'bad99' in rule") != NULL, "the 100th is the 100th");
	free(big);

	FILE *f = tmpfile();
	prog_errors pe = { 0 };
	program *q = program_load(data("errors"), NULL, &pe);
	ok(q == NULL, "errors fixture refused");
	prog_errors_print(&pe, f);
	rewind(f);
	char line[256] = "";
	if (!fgets(line, sizeof line, f))
		line[0] = 0;
	is_str(line, "program.yaml:2:11: unknown timezone 'Mars/Base' (an IANA name such as Asia/Kolkata)\n",
		"prog_errors_print: one per line");
	fclose(f);
	prog_errors_free(&pe);
}

int main(void)
{
	test_fixture();
	test_files();
	test_small();
	return tap_done();
}
