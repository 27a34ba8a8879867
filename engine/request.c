/* engine/request.c — the op names and which ops are admin-only
 * (protocol.md, "Security"). */
#include <config.h>

#include "engine/request.h"

/* ORDER: op_kind in engine/request.h */
const char *const op_names[OP__COUNT] = {
	"ping", "enroll", "customer", "quote", "purchase",
	"refund", "adjust", "forget", "reload", "stats",
};

bool op_is_admin(op_kind op)
{
	return op == OP_ADJUST || op == OP_FORGET || op == OP_RELOAD;
}
