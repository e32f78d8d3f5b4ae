/* sb-alloc-count: an LD_PRELOAD heap allocation counter for bench/run.py.
 *
 * Every malloc, calloc, realloc and aligned allocation (operator new goes
 * through malloc) adds one to a 64-bit counter. With SB_ALLOC_COUNT_FILE set,
 * the counter lives in that file (shared, mapped at start-up), so the driver
 * reads it while the process runs: read, send N requests, read again; the
 * difference over N is the allocations per request, the same on a busy machine
 * as on a quiet one. Allocations before the mapping is made are counted in a
 * static slot and carried over. Frees are not counted. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static uint64_t early_count;
static uint64_t *counter = &early_count;

static inline void count(void) { __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED); }

__attribute__((constructor)) static void map_counter(void) {
    const char *path = getenv("SB_ALLOC_COUNT_FILE");
    if (path == NULL) return;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return;
    if (ftruncate(fd, sizeof(uint64_t)) == 0) {
        void *p = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p != MAP_FAILED) {
            uint64_t *shared = p;
            __atomic_store_n(shared, __atomic_load_n(&early_count, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
            counter = shared;
        }
    }
    close(fd);
}

void *malloc(size_t size) {
    count();
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size) {
    count();
    return __libc_calloc(n, size);
}

void *realloc(void *old, size_t size) {
    count();
    return __libc_realloc(old, size);
}

void *memalign(size_t alignment, size_t size) {
    count();
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    count();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) return 22; /* EINVAL */
    count();
    void *p = __libc_memalign(alignment, size);
    if (p == NULL && size != 0) return 12; /* ENOMEM */
    *out = p;
    return 0;
}
