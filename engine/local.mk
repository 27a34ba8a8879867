# engine/local.mk — the daemon and the CLI.
noinst_LIBRARIES += engine/libengine.a
engine_libengine_a_SOURCES = \
	engine/request.h engine/reply.h engine/ops.h
engine_libengine_a_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS) $(YAJL_CFLAGS) $(SQLITE_CFLAGS) $(YAML_CFLAGS)
ENGINE_LIBS = engine/libengine.a $(EVENT_LIBS) $(YAJL_LIBS) $(SQLITE_LIBS) $(RULES_LIBS)

bin_PROGRAMS += loyaltyd loyaltyctl
loyaltyd_SOURCES = engine/loyaltyd.c
loyaltyd_CFLAGS = $(engine_libengine_a_CFLAGS)
loyaltyd_LDADD = $(ENGINE_LIBS)
loyaltyctl_SOURCES = engine/loyaltyctl.c
loyaltyctl_CFLAGS = $(engine_libengine_a_CFLAGS)
loyaltyctl_LDADD = $(ENGINE_LIBS)
