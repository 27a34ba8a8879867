# engine/ops.mk — op handlers and the store (appended to libengine.a).

# The store's sources: the tests that build the store alone (here and the
# fuzz target for import lines) list them through this one variable.
STORE_SOURCES = \
	engine/store_sqlite.c engine/store_schema.c engine/store_customer.c \
	engine/store_ledger.c engine/store_txn.c engine/store_forget.c engine/store_sync.c engine/store_ckpt.c engine/store_vfs.c

engine_libengine_a_SOURCES += engine/ops.h \
	engine/store.h engine/store_internal.h \
	$(STORE_SOURCES) \
	rules/refund.h rules/refund.c \
	engine/op_common.h engine/op_common.c \
	engine/op_enroll.c engine/op_customer.c engine/op_quote.c engine/op_purchase.c \
	engine/op_refund.c engine/op_adjust.c engine/op_forget.c \
	engine/ctl_store.h engine/ctl_import.c engine/ctl_export.c

# The store alone, without the handlers: schema, cache, ledger, txns, group
# commits with an event loop, crash safety (a SIGKILLed child).
check_PROGRAMS += tests/unit/test-store tests/unit/test-refund
TESTS += tests/unit/test-store tests/unit/test-refund
tests_unit_test_store_SOURCES = tests/unit/test-store.c $(STORE_SOURCES)
tests_unit_test_store_CFLAGS = $(AM_CFLAGS) $(EVENT_CFLAGS) $(YAJL_CFLAGS) $(SQLITE_CFLAGS)
tests_unit_test_store_LDADD = $(LANG_LIBS) $(EVENT_LIBS) $(YAJL_LIBS) $(SQLITE_LIBS) $(XXHASH_LIBS) -lpthread
tests_unit_test_refund_SOURCES = tests/unit/test-refund.c rules/refund.c

# loyaltyctl import/export
check_PROGRAMS += tests/unit/test-store-import
TESTS += tests/unit/test-store-import
tests_unit_test_store_import_SOURCES = tests/unit/test-store-import.c
tests_unit_test_store_import_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
tests_unit_test_store_import_LDADD = $(ENGINE_LIBS)

# WAL checkpoints off the loop, every durability
check_PROGRAMS += tests/unit/test-store-ckpt
TESTS += tests/unit/test-store-ckpt
tests_unit_test_store_ckpt_SOURCES = tests/unit/test-store-ckpt.c $(STORE_SOURCES)
tests_unit_test_store_ckpt_CFLAGS = $(tests_unit_test_store_CFLAGS)
tests_unit_test_store_ckpt_LDADD = $(tests_unit_test_store_LDADD)

# a failing group commit (fault-injecting VFS)
check_PROGRAMS += tests/unit/test-store-fail
TESTS += tests/unit/test-store-fail
tests_unit_test_store_fail_SOURCES = tests/unit/test-store-fail.c $(STORE_SOURCES)
tests_unit_test_store_fail_CFLAGS = $(tests_unit_test_store_CFLAGS)
tests_unit_test_store_fail_LDADD = $(tests_unit_test_store_LDADD)
