/* bench/bench-report.c — `loyaltyctl experiments` without the rest of the
 * CLI: bench/bench-report.sh times the report with it while loyaltyctl's
 * main is elsewhere in progress. Same arguments as ctl_experiments(). */
#include "engine/ctl.h"

/* loyaltyctl's global options; none here, --db follows the subcommand */
ctl_opts ctl_global;

int main(int argc, char **argv)
{
	return ctl_experiments(argc, argv);
}
