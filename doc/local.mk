# doc/local.mk — guides and man pages.
EXTRA_DIST += doc
