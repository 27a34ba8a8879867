/* engine/loyaltyd.c — the daemon main. */
int main(void) { return 0; }
