/* engine/ctl_experiments.h — `loyaltyctl experiments ...` (running.md).
 * Declared here until engine/ctl.h (the CLI's command table) exists; the
 * same declaration belongs there. */
#ifndef ENGINE_CTL_EXPERIMENTS_H
#define ENGINE_CTL_EXPERIMENTS_H

/* `loyaltyctl [--db FILE] experiments report NAME [--html FILE] [--json]
 * [--rules PATH] [--minor-digits N]`. argv[0] is skipped (the program name
 * or "experiments"); the options may come anywhere, so the main can pass
 * its whole argv or the part from "experiments" on plus --db. Writes the
 * report to stdout, errors and the sample-ratio warning to stderr. Returns
 * the exit status: 0 done, 1 store or file error, 2 bad command line. */
int ctl_experiments(int argc, char **argv);

#endif
