/* engine/ctl_store.h — the store commands of loyaltyctl (running.md):
 * `[--db FILE] import FILE` and `[--db FILE] export [FILE]`, declared in
 * engine/ctl.h. argv[0] is the subcommand; the store is ctl_global.db
 * (or a --db FILE after the subcommand; loyalty.db by default). Exit
 * status: 0 done, 1 failed (nothing imported), 2 bad command line. */
#ifndef ENGINE_CTL_STORE_H
#define ENGINE_CTL_STORE_H

#include "engine/ctl.h" /* ctl_import, ctl_export, ctl_global */

/* Shared by both: --db, and the one FILE word. -1 after a message. */
int ctl_store_args(int argc, char **argv, const char *cmd, const char **db, const char **file);

#endif
