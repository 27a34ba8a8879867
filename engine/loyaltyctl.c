/* engine/loyaltyctl.c — the CLI main. */
#include "engine/ctl.h"
ctl_opts ctl_global;
int main(void) { return 0; }
