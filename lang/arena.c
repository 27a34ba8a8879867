/* lang/arena.c — see arena.h. Blocks are a singly linked list, newest
 * first; an allocation larger than a block gets a block of its own. */
#include "lang/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct arena_block {
	arena_block *next;
	size_t cap;
	size_t used;
	_Alignas(16) unsigned char data[];
};

void arena_init(arena *a, size_t block_size, size_t limit)
{
	a->head = NULL;
	a->block_size = block_size ? block_size : 4096;
	a->limit = limit;
	a->total = 0;
}

static arena_block *block_new(arena *a, size_t need)
{
	size_t cap = need > a->block_size ? need : a->block_size;
	if (a->limit && a->total + cap > a->limit)
		return NULL;
	arena_block *b = malloc(sizeof *b + cap);
	if (!b)
		return NULL;
	b->cap = cap;
	b->used = 0;
	b->next = a->head;
	a->head = b;
	a->total += cap;
	return b;
}

void *arena_alloc(arena *a, size_t n)
{
	if (n > SIZE_MAX - 15)
		return NULL;
	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
	arena_block *b = a->head;
	if (!b || b->cap - b->used < n) {
		b = block_new(a, n);
		if (!b)
			return NULL;
	}
	void *p = b->data + b->used;
	b->used += n;
	return p;
}

void *arena_calloc(arena *a, size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size)
		return NULL;
	void *p = arena_alloc(a, count * size);
	if (p)
		memset(p, 0, count * size);
	return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (p) {
		if (n)
			memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

char *arena_printf(arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *p = arena_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void arena_reset(arena *a)
{
	/* keep the oldest block (the last in the list): it is the one a steady
	 * workload fits in */
	arena_block *b = a->head, *keep = NULL;
	while (b) {
		arena_block *next = b->next;
		if (!next) {
			keep = b;
		} else {
			a->total -= b->cap;
			free(b);
		}
		b = next;
	}
	if (keep) {
		keep->used = 0;
		keep->next = NULL;
	}
	a->head = keep;
}

void arena_free(arena *a)
{
	arena_block *b = a->head;
	while (b) {
		arena_block *next = b->next;
		free(b);
		b = next;
	}
	a->head = NULL;
	a->total = 0;
}
