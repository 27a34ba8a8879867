/* engine/loyaltyctl.c — the CLI main. */
int main(void) { return 0; }
