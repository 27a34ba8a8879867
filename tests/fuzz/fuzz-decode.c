/* tests/fuzz/fuzz-decode.c — libFuzzer target for engine/decode.c: any
 * bytes as one request line. Beyond "no crash, no leak, no UB" it checks
 * the promises the op handlers rely on (engine/request.h): bounds hold on
 * every accepted request, and an echoed id is itself valid JSON.
 * Build: configure CC=clang --enable-fuzzing; run:
 *   tests/fuzz/fuzz-decode tests/fuzz/corpus-decode */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "engine/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool cond)
{
	if (!cond)
		abort();
}

static void check_request(const request *r)
{
	check(r->op < OP__COUNT);
	if (r->op == OP_QUOTE || r->op == OP_PURCHASE) {
		check(r->basket.nitems >= 1 && r->basket.nitems <= 1000);
		int64_t sum = 0;
		for (uint32_t i = 0; i < r->basket.nitems; i++) {
			const rl_item *it = &r->basket.items[i];
			check(it->sku.p && it->sku.n > 0);
			check(it->qty >= 1 && it->qty <= 1000000);
			check(it->price >= 0 && it->price <= 1000000000000LL);
			check(!__builtin_add_overflow(sum, it->qty * it->price, &sum));
		}
		if (r->basket.has_redeem)
			check(r->customer.p && r->basket.redeem_points >= 0);
	}
	if (r->op == OP_PURCHASE || r->op == OP_REFUND || r->op == OP_ADJUST)
		check(r->txn.p && r->txn.n > 0);
	if (r->has_points)
		check(r->points >= -1000000000000LL && r->points <= 1000000000000LL);
	for (uint32_t i = 0; i < r->nwarnings; i++)
		check(r->warnings[i].field != NULL);
	if (r->has_id) {
		check(strlen(r->id_json) == r->id_len);
		yajl_handle h = yajl_alloc(NULL, NULL, NULL);
		check(yajl_parse(h, (const unsigned char *)r->id_json, r->id_len) == yajl_status_ok);
		check(yajl_complete_parse(h) == yajl_status_ok);
		yajl_free(h);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static arena a;
	static bool init;
	if (!init) {
		arena_init(&a, 16384, 8 * 65536 + (4u << 20));
		init = true;
	}
	if (size > 65536)
		return 0; /* the connection layer refuses longer lines */
	request req;
	decode_error err;
	arena_reset(&a);
	if (decode_request((const char *)data, size, &a, &req, &err) == 0)
		check_request(&req);
	else
		check(err.code && err.message[0]);
	return 0;
}
