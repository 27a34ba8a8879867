/* lang/arena.h — bump allocation for memory that lives exactly as long as
 * one request, one compile or one load: nothing is freed on its own, all of
 * it goes at once with arena_reset/arena_free. The first block is reused
 * across resets, so a steady request loop does not call malloc.
 *
 * Shared by every layer (it is the lowest one); it knows nothing else. */
#ifndef LANG_ARENA_H
#define LANG_ARENA_H

#include <stddef.h>

typedef struct arena_block arena_block;
typedef struct arena {
	arena_block *head;   /* current block */
	size_t block_size;   /* size of new blocks */
	size_t limit;        /* most bytes this arena may hold; 0 = no bound */
	size_t total;        /* bytes held in blocks */
} arena;

void arena_init(arena *a, size_t block_size, size_t limit);
/* NULL when the limit would be passed or malloc fails. 16-byte aligned. */
void *arena_alloc(arena *a, size_t n);
void *arena_calloc(arena *a, size_t count, size_t size);
char *arena_strndup(arena *a, const char *s, size_t n); /* NUL-terminated */
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Forget everything but keep the first block for reuse. */
void arena_reset(arena *a);
void arena_free(arena *a);

#endif
