# engine/simulate.mk — `loyaltyctl simulate`: the in-memory what-if state
# (in libengine.a, beside the op helpers it reuses) and the command.
loyaltyctl_SOURCES += engine/ctl_simulate.c
engine_libengine_a_SOURCES += engine/simulate.c engine/simulate.h
