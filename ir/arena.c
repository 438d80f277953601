/*
 * arena.c - the one allocator behind an IR document.
 *
 * Blocks are chained and never moved, so pointers into them stay valid
 * until ir_arena_free().  Large requests get a block of their own.  An
 * arena told what to expect takes one block of whole huge pages first
 * (ir_arena_expect()); the rest are malloc'd.  Allocation failure
 * aborts: a half-built IR is of no use to anybody, and the inputs that
 * could ask for unbounded memory (alias expansion, file size) are
 * bounded where they are read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ir/ir.h"

#define BLOCK_SIZE (64 * 1024)

struct block {
	struct block *next;
	size_t used, size;
	max_align_t data[];
};

/*
 * Transparent huge pages come in 2 MiB on x86-64 and arm64 with 4 KiB
 * pages; elsewhere the region is still one mapping, only not huge.
 */
#define HUGE_PAGE (2u << 20)

struct ir_arena {
	struct block *head;
	struct block *huge;     /* the block ir_arena_expect() mapped, or NULL */
};

_Noreturn void ir_oom(void)
{
	fputs("pipec: out of memory\n", stderr);
	abort();
}

static struct block *block_new(size_t size, struct block *next)
{
	struct block *b = malloc(sizeof *b + size);
	if (!b)
		ir_oom();
	b->next = next;
	b->used = 0;
	b->size = size;
	return b;
}

struct ir_arena *ir_arena_new(void)
{
	struct ir_arena *a = malloc(sizeof *a);
	if (!a)
		ir_oom();
	a->head = block_new(BLOCK_SIZE, NULL);
	a->huge = NULL;
	return a;
}

void ir_arena_free(struct ir_arena *a)
{
	if (!a)
		return;
	for (struct block *b = a->head, *next; b; b = next) {
		next = b->next;
		if (b != a->huge)
			free(b);
	}
	if (a->huge)
		munmap(a->huge, sizeof *a->huge + a->huge->size);
	free(a);
}

void ir_arena_reset(struct ir_arena *a)
{
	struct block *b = a->head, *next;
	while (b->next) {
		next = b->next;
		if (b != a->huge)
			free(b);
		b = next;
	}
	/* The last block is malloc'd: ir_arena_new() made it or a large
	 * request was chained after it; the huge block is always above. */
	b->used = 0;
	a->head = b;
	if (a->huge) {
		a->huge->used = 0;
		a->huge->next = b;
		a->head = a->huge;
	}
}

/*
 * A large document is megabytes of small allocations.  Faulting them in
 * 4 KiB at a time was most of a large compile's system time: one trap and
 * one memory-cgroup charge per page.  One mapping aligned to and marked
 * for huge pages is faulted in 2 MiB at a time instead.  Only whole huge
 * pages are mapped, so a small arena never holds more than it asked for.
 */
void ir_arena_expect(struct ir_arena *a, size_t bytes)
{
#ifdef MADV_HUGEPAGE
	size_t size = bytes / HUGE_PAGE * HUGE_PAGE;
	if (a->huge || size == 0 || size > SIZE_MAX - HUGE_PAGE)
		return;
	char *p = mmap(NULL, size + HUGE_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return;     /* blocks come from malloc, as for any arena */
	char *base = (char *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	if (base > p)
		munmap(p, (size_t)(base - p));
	munmap(base + size, HUGE_PAGE - (size_t)(base - p));
	madvise(base, size, MADV_HUGEPAGE);
	struct block *b = (struct block *)base;
	b->next = a->head;
	b->used = 0;
	b->size = size - sizeof *b;
	a->head = a->huge = b;
#else
	(void)a;
	(void)bytes;
#endif
}

void *ir_alloc(struct ir_arena *a, size_t size)
{
	const size_t align = _Alignof(max_align_t);
	size = (size + align - 1) & ~(align - 1);
	if (size == 0)
		size = align;
	struct block *b = a->head;
	if (b->size - b->used < size) {
		if (size > BLOCK_SIZE / 4) {
			/* keep the current block as head: it still has room */
			struct block *big = block_new(size, b->next);
			b->next = big;
			b = big;
		} else {
			b = a->head = block_new(BLOCK_SIZE, a->head);
		}
	}
	void *p = (char *)b->data + b->used;
	b->used += size;
	memset(p, 0, size);
	return p;
}

void *ir_calloc(struct ir_arena *a, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		ir_oom();
	return ir_alloc(a, n * size);
}

char *ir_strndup(struct ir_arena *a, const char *s, size_t len)
{
	char *p = ir_alloc(a, len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *ir_strdup(struct ir_arena *a, const char *s)
{
	return s ? ir_strndup(a, s, strlen(s)) : NULL;
}

char *ir_printf(struct ir_arena *a, const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	char *p = ir_alloc(a, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}
