# engine/report.mk — the experiment report (loyaltyctl experiments report):
# statistics (GSL), the store's SQL, the figures, three renderings, the
# command. Owned by the report; loyaltyctl's LDADD needs $(GSL_LIBS) too.
REPORT_SOURCES = \
	engine/report_stats.c engine/report_stats.h \
	engine/report_data.c engine/report_data.h \
	engine/report_weights.c engine/report_weights.h \
	engine/report_calc.c engine/report_calc.h \
	engine/report_format.c engine/report_format.h \
	engine/report_render.h engine/report_text.c engine/report_html.c engine/report_json.c
engine_libengine_a_SOURCES += $(REPORT_SOURCES)
engine_libengine_a_CFLAGS += $(GSL_CFLAGS) $(XXHASH_CFLAGS)

# The command itself is linked into loyaltyctl, like the other ctl_*.c.
loyaltyctl_SOURCES += engine/ctl_experiments.c
loyaltyctl_LDADD += $(GSL_LIBS)

# The tests link the report's own sources, not libengine.a, so that they
# build while the rest of the engine is being written.
check_PROGRAMS += tests/unit/test-report-stats tests/unit/test-report
TESTS += tests/unit/test-report-stats tests/unit/test-report
tests_unit_test_report_stats_SOURCES = tests/unit/test-report-stats.c \
	engine/report_stats.c engine/report_stats.h
tests_unit_test_report_stats_CFLAGS = $(AM_CFLAGS) $(GSL_CFLAGS)
tests_unit_test_report_stats_LDADD = $(GSL_LIBS) -lm
tests_unit_test_report_SOURCES = tests/unit/test-report.c $(REPORT_SOURCES) engine/ctl_experiments.c \
	engine/store_schema.c
tests_unit_test_report_CFLAGS = $(AM_CFLAGS) $(GSL_CFLAGS) $(SQLITE_CFLAGS) $(YAJL_CFLAGS) $(XXHASH_CFLAGS) \
	$(YAML_CFLAGS) $(EVENT_CFLAGS)
tests_unit_test_report_LDADD = $(GSL_LIBS) $(SQLITE_LIBS) $(YAJL_LIBS) $(YAML_LIBS) $(XXHASH_LIBS) -lm

# HTML rendering in headless Chromium (skips without /usr/bin/chromium).
EXTRA_DIST += bench/bench-report.sh bench/bench-report.py
