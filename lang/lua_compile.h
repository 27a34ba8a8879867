/* lang/lua_compile.h — turn a simple Lua function into an expression of
 * the expression language (lang/expr.h) that gives the same answer on
 * every input, so that a host can run it without a call into Lua.
 *
 * The function is read as bytecode (lua_bytecode.c) and executed
 * symbolically along every path: values the host describes (its objects'
 * fields) become names, branches become `and`/`or`, calls to the file's
 * own Lua functions are inlined, frozen upvalue tables are read at compile
 * time. Whatever could behave differently from Lua — a loop, a write, a
 * global, a string operation, float arithmetic, an ordering on a value
 * that may be nil, a result of the wrong type on some path — makes the
 * compile give up (NULL), and the host keeps calling the function.
 *
 * The one difference kept on purpose: an int64 overflow wraps in Lua and
 * is a run-time error in the expression language.
 *
 * This layer knows nothing about the host's objects: the host describes
 * them through lc_host (their fields and methods, as expression text). */
#ifndef LANG_LUA_COMPILE_H
#define LANG_LUA_COMPILE_H

#include <stdbool.h>
#include <stddef.h>

#include <lua.h>

/* The Lua types a value may have. */
#define LC_NIL  0x01u
#define LC_BOOL 0x02u
#define LC_INT  0x04u
#define LC_FLT  0x08u
#define LC_STR  0x10u
#define LC_NUM  (LC_INT | LC_FLT)
#define LC_SCALAR (LC_BOOL | LC_INT | LC_FLT | LC_STR)

typedef struct lc lc;         /* one compile */
typedef struct lc_val lc_val; /* a value during a compile */

/* What a field or a method call is: a host object (obj >= 0; `text` is an
 * expression true exactly when the object is there, NULL when it always
 * is) or a value (obj < 0): expression `text` with Lua `types`. */
typedef struct lc_field {
	int obj;
	const char *text;
	unsigned types;
} lc_field;

typedef struct lc_host {
	void *ud;
	/* obj.key: 0 and *out, or -1 (not compilable). */
	int (*field)(void *ud, int obj, const char *key, size_t n, lc_field *out);
	/* obj:name(args[0..nargs)) (self not included): 0 and *out, or -1.
	 * The lc_arg_* functions read the arguments. */
	int (*method)(void *ud, lc *c, int obj, const char *name, size_t n,
		lc_val *const *args, int nargs, lc_field *out);
	/* The name of a host function of one string that always fails with
	 * it as its message, to say "Lua raises here" (indexing ctx.customer
	 * of an anonymous basket); NULL: such functions do not compile. */
	const char *error_fn;
} lc_host;

/* A constant string argument. */
bool lc_arg_str(const lc_val *v, const char **s, size_t *n);
/* A function argument compiled as a condition on host object `obj` (its
 * first parameter; others nil): expression text, or NULL. */
const char *lc_arg_pred(lc *c, const lc_val *v, int obj);
/* A string literal of the expression language for s (NULL if it cannot
 * be written), and formatted text; both live as long as the compile. */
const char *lc_quote(lc *c, const char *s, size_t n);
const char *lc_printf(lc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define LC_WANT_BOOL 1  /* true, false or nil on every path: a condition */
#define LC_WANT_NUM  2  /* one path, a number */

/* Compile the Lua function at `idx` of L's stack, called with host
 * objects objs[0..nobjs) as its arguments. Returns the expression's text
 * (malloc'd; the caller frees) or NULL, with the reason in why. */
char *lc_compile(lua_State *L, int idx, const lc_host *h, const int *objs, int nobjs,
	int want, char *why, size_t whysz);

#endif
