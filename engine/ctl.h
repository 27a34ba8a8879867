/* engine/ctl.h — the loyaltyctl subcommands implemented outside
 * engine/loyaltyctl.c (each in its own engine/ctl_<name>.c). Each gets the
 * arguments after the subcommand name (argv[0] is the subcommand) plus the
 * global options already parsed, and returns the process exit status. */
#ifndef ENGINE_CTL_H
#define ENGINE_CTL_H

typedef struct ctl_opts {
	const char *socket;   /* --socket, or the default */
	const char *db;       /* --db, NULL when not given */
	const char *store;    /* --store URL, NULL when not given */
} ctl_opts;

extern ctl_opts ctl_global;

int ctl_import(int argc, char **argv);
int ctl_export(int argc, char **argv);
int ctl_simulate(int argc, char **argv);
int ctl_experiments(int argc, char **argv);

#endif
