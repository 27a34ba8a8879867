# examples/local.mk — example programs shipped in the tarball.
EXTRA_DIST += \
	examples/coffee-club \
	examples/coffee-chain \
	examples/fashion-retailer \
	examples/grocery \
	examples/pos-client
