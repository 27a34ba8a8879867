# engine/ops.mk — op handlers and the store (appended to libengine.a).
engine_libengine_a_SOURCES += engine/ops.h
