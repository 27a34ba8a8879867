/* engine/ctl_store.h — the store commands of loyaltyctl (running.md):
 * `[--db FILE] import FILE` and `[--db FILE] export [FILE]`. Each takes
 * the arguments after "loyaltyctl" (the command word may be among them;
 * --db FILE / --db=FILE may come before or after it) and returns the exit
 * status: 0 done, 1 failed (nothing imported), 2 bad command line. */
#ifndef ENGINE_CTL_STORE_H
#define ENGINE_CTL_STORE_H

int ctl_import(int argc, char **argv);
int ctl_export(int argc, char **argv);

/* Shared by both: --db, and the one FILE word. -1 after a message. */
int ctl_store_args(int argc, char **argv, const char *cmd, const char **db, const char **file);

#endif
