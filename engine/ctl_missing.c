/* engine/ctl_missing.c — TEMPORARY: the loyaltyctl subcommands other
 * helpers implement in engine/ctl_*.c. Each says "not built yet" and
 * exits 1. Weak, so a real engine/ctl_<name>.c linked beside it wins;
 * delete this file once all four exist. */
#include <stdio.h>

#include "engine/ctl.h"

#define MISSING(name) \
	__attribute__((weak)) int ctl_##name(int argc, char **argv) \
	{ \
		fprintf(stderr, "loyaltyctl: " #name " is not built yet\n"); \
		return 1; \
	}

MISSING(simulate)
MISSING(experiments)
