/* engine/ctl_missing.c — TEMPORARY: the loyaltyctl subcommands other
 * helpers implement in engine/ctl_*.c. Each says "not built yet" and
 * exits 1. Delete a function here when its real file lands. */
#include <stdio.h>

#include "engine/ctl.h"

#define MISSING(name) \
	int ctl_##name(int argc, char **argv) \
	{ \
		fprintf(stderr, "loyaltyctl: " #name " is not built yet\n"); \
		return 1; \
	}

MISSING(import)
MISSING(export)
MISSING(simulate)
MISSING(experiments)
