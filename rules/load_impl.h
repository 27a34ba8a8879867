/* rules/load_impl.h — state of one program_load() shared by the loader's
 * files (load.c: files and hashing; load_yaml.c: YAML keys; env.c: names
 * and host functions; load_check.c: whole-program checks). The Lua loader
 * (rules/load_lua.c) receives the same state to add its rules and segments.
 * Nothing here outlives program_load(). */
#ifndef RULES_LOAD_IMPL_H
#define RULES_LOAD_IMPL_H

#include "rules/prog_impl.h"
#include "rules/yaml_doc.h"

typedef struct rl_name_def {
	const char *name;
	const char *file;
	int line, col;
} rl_name_def;

typedef struct rl_loader {
	program *p;
	prog_errors *errs;
	const prog_limits *lim;
	arena tmp;                 /* YAML trees, freed at the end of the load */
	const char *file;          /* file being read, relative to the program */
	uint32_t file_index;       /* position of `file` in read order */
	uint32_t order;            /* rules added so far from this file */
	/* bind callbacks record what an expression names: */
	int *rec_coupons;
	uint32_t nrec_coupons, caprec_coupons;
	int *rec_segs;
	uint32_t nrec_segs, caprec_segs;
	/* rules and segments grow here, then move into the program */
	uint32_t caprules, capsegs, capexps;
	const yd_node **seg_nodes; /* each segment's expression, compiled after
	                              every file's segment names are known */
} rl_loader;

/* env.c */
int rl_env_build(rl_loader *L);
/* Compile a YAML scalar node as an expression into *code. Errors go to the
 * loader's list. `cust_only`: qualify (customer names only). Returns 0/-1. */
int rl_compile_node(rl_loader *L, const yd_node *n, int scope, expr_type want,
	bool cust_only, rl_code *code);
void rl_rec_reset(rl_loader *L);

/* preds.c: a same-length copy of src with item-function calls over shared
 * predicates (in L->tmp); the index of an `items:` predicate, or -1. */
char *rl_preds_rewrite(rl_loader *L, const char *src, size_t n, expr_pos pos);
int rl_pred_intern_node(rl_loader *L, const yd_node *nd);
int rl_pred_when_any(rl_loader *L, const yd_node *nd);

/* load_yaml.c */
void rl_yaml_collect(rl_loader *L, const yd_node *root, bool is_main);
void rl_yaml_program(rl_loader *L, const yd_node *root, bool is_main);

/* add to program arrays (NULL on no memory) */
rl_rule *rl_add_rule(rl_loader *L);
rl_segment *rl_add_segment(rl_loader *L);
rl_experiment *rl_add_experiment(rl_loader *L);
int rl_find_segment(const program *p, const char *name, size_t n);
int rl_find_experiment(const program *p, const char *name, size_t n);

/* Lua files: rules/load_lua.c adds the
 * file's rules and segments through rl_add_rule()/rl_add_segment(), called
 * in pass 1 at the file's place in read order (L->file, L->file_index set;
 * rule read order is kept by rl_add_rule). A segment added this way leaves
 * L->seg_nodes[i] NULL and sets its cond to an RC_LUA code; its name must
 * be unique (rl_find_segment). Errors go to L->errs with rl_err_add(). */
int rl_load_lua(rl_loader *L, const char *name, const char *buf, size_t n);

/* lua_compile.c: after every file has loaded, before rl_finish: replace
 * each Lua function it can compile by the equivalent expression. */
void rl_lua_compile_all(rl_loader *L);

/* load_check.c: after every file: cycles, sorting, derived flags */
void rl_finish(rl_loader *L);

#endif
