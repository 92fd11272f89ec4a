// Package alloc places the modelled client's payload buffers outside the Go
// heap, where and as its real allocator would, and counts the client's
// resident memory exactly.
//
// The Go heap's figures belong to Go's garbage collector: they move with
// GOGC, and so would any OOM verdict drawn from them. A Rust client frees a
// buffer where it drops it, and its allocator reuses or returns that memory
// by its own rules. This package reproduces those rules over memory the
// process maps itself, so that both the model's count and the process's real
// RSS follow the client, not the collector.
//
// # How it works
//
//  1. New maps one large region of address space (Options.Reserve, 64 GiB by
//     default) with mmap(PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|
//     MAP_NORESERVE) and madvise(MADV_NOHUGEPAGE), so that residency is
//     page-granular (4 KiB). A failure to map (RLIMIT_AS, ENOMEM) is a
//     returned error wrapping the errno.
//  2. A policy decides where each block goes inside the region, what it
//     reuses and what it gives back. Alloc, Realloc and Free return and take
//     Blocks whose Bytes are slices of the region.
//  3. A page is resident from its first write until the policy gives it back.
//     Writes are declared: Touch(b, n) says the first n bytes of b were
//     written, and the policy declares the writes the real allocator makes to
//     its own metadata (chunk headers and footers, free-list links, the top
//     chunk's header) and its memcpy on realloc. Untouched capacity, like the
//     unused half of a grown Vec, stays non-resident.
//  4. Memory a policy returns (munmap of a mmapped chunk, brk trim, purge) is
//     madvise(MADV_DONTNEED)'d; an mremap move is a real mremap inside the
//     region (MREMAP_FIXED, the hole mapped again). So the kernel's RSS of the
//     region equals the model's count, page for page: the tests read
//     /proc/self/smaps to check it.
//  5. Resident splits into pages that hold part of a live block
//     (Stats.ResidentLive) and the rest (Stats.ResidentRetained): memory the
//     program freed but the allocator keeps.
//
// An Allocator is safe for concurrent use; one mutex serialises all calls.
// Once warm, the region policies' calls allocate nothing on the Go heap.
//
// # Policy glibc
//
// ant-client sets no global allocator, so on Linux its buffers come from
// glibc malloc. The model is glibc 2.39 (the glibc of Ubuntu 24.04 LTS) on
// x86-64, read from bminor/glibc tag glibc-2.39, malloc/malloc.c and
// malloc/arena.c:
//
//   - Sizes: SIZE_SZ 8, MALLOC_ALIGNMENT 16, MINSIZE 32; a request of n bytes
//     is a chunk of request2size(n) = (n + 8 + 15) &^ 15 bytes; the user's
//     bytes start 16 bytes into the chunk.
//   - Large requests (sysmalloc, sysmalloc_mmap): when no free chunk and not
//     the top can serve a request of at least mp_.mmap_threshold (128 KiB),
//     it is mmapped: ALIGN_UP(nb + SIZE_SZ, 4096) bytes, header in the
//     mapping's first page. free munmaps it at once (munmap_chunk). Mappings
//     are placed top-down in the upper half of the region, as the kernel's
//     unmapped_area_topdown places them.
//   - The dynamic threshold (__libc_free): freeing a mmapped chunk larger than
//     the threshold and at most DEFAULT_MMAP_THRESHOLD_MAX (32 MiB on 64-bit)
//     sets mmap_threshold to the chunk's size and trim_threshold to twice
//     that. After one 4 MiB buffer is freed, later 4 MiB buffers come from
//     the heap and are kept after free.
//   - The heap (the main arena, brk from the region's base): sysmalloc grows
//     it by nb + top_pad + MINSIZE less the top, page-rounded; top_pad is
//     128 KiB (DEFAULT_TOP_PAD from sysdeps/generic/malloc-machine.h, which
//     overrides malloc.c's 0; the manual's "default 0" is wrong for Linux).
//   - Placement (__libc_malloc, _int_malloc): the tcache for chunks up to
//     1040 bytes (7 per size); exact small bins; the unsorted chunks,
//     oldest first, an exact fit taken, the others sorted into bins (large
//     bins by size, a size already present going second); best fit in the
//     request's large bin (the smallest size that fits, the second of its
//     equals); else the smallest chunk of the next non-empty bin; else a split
//     of the top; else sysmalloc. Remainders of splits go to the unsorted bin.
//   - free (_int_free, _int_free_merge_chunk, _int_free_create_chunk): the
//     tcache if it has room; else coalescing with a free previous and next
//     chunk, into the top if it borders it, else onto the unsorted list.
//     Freed heap memory stays resident.
//   - Trimming (_int_free_maybe_consolidate, systrim): when the merged chunk is
//     at least 64 KiB (FASTBIN_CONSOLIDATION_THRESHOLD) and the top is at least
//     trim_threshold, brk shrinks by ALIGN_DOWN(top − MINSIZE − 1 − top_pad,
//     4096): the pages above the new break are returned.
//   - realloc (__libc_realloc, mremap_chunk, _int_realloc): stays put when
//     the request fits the usable size within 16 bytes (or within a page for
//     a mmapped chunk); a mmapped chunk is mremapped to ALIGN_UP(nb + 8, 4096),
//     in place when the address space after it is free, else moved with its
//     pages; a heap chunk shrinks in place, grows into the top or a free next
//     chunk, or is malloc'd anew (possibly mmapped), memcpy'd (its whole
//     usable size, so every copied page becomes resident) and freed.
//
// Arenas. The model has one arena, the main arena. In the real client,
// allocations made on tokio worker threads go to per-thread arenas
// (arena_get2: up to 8 × cores on 64-bit), which are mmapped heaps of at most
// HEAP_MAX_SIZE = 64 MiB trimmed by heap_trim (the same trim_threshold and
// top_pad rules as systrim, plus unmapping a heap whose top covers all of
// it), and a buffer freed on another thread goes back to the arena it came
// from. Chunks above the threshold are mmapped and unmapped the same way in
// every arena (the threshold is global, mp_), so those figures do not
// change. Heap-served chunks (after the threshold rose) would be kept per
// arena: with several threads allocating, each arena keeps its own free
// chunks and top, so retained memory can be up to the number of arenas
// times what one arena keeps. The lead's model runs its tasks one at a time
// and does not say which thread a buffer belongs to; one arena gives the
// smallest retained figure the client could have, and the same figure at
// every run.
//
// Departures, each small for buffers of 50 KB to 8.5 MB: only the
// client's payload buffers are in the arena, not the thousands of small
// objects of the real process (a small live object above a freed buffer
// would keep the top from trimming: real retention can only be higher);
// fastbins are not modelled (chunks of at most 128 bytes that miss the
// tcache are coalesced at once, as malloc_consolidate would do at the next
// large request); the brk heap may use half the reserve and a failure to
// grow it is ErrExhausted, where glibc would fall back to mmap as MORECORE;
// mmap_threshold's count limit (65536 mappings) is kept, tunables and
// M_* options are not read. glibc mainline after 2.42 (this mirror's HEAD,
// 2.43 development) lays mmapped chunks out with CHUNK_HDR_SZ at the end
// (the same 4198400-byte mapping for 4 MiB, a threshold 16 bytes lower),
// has no fastbins, and can cache chunks up to 4 MiB in the tcache when the
// glibc.malloc.tcache_max tunable asks; by default it behaves like 2.39
// for these sizes.
//
// # Policy mimalloc
//
// ant-node uses mimalloc as its global allocator; its Cargo.lock pins the
// mimalloc crate 0.1.52 and libmimalloc-sys 0.1.49, which builds mimalloc
// v3 by default: tag v3.3.2 (commit 30b2d9d8). Read from
// microsoft/mimalloc at that tag: include/mimalloc/types.h, src/page.c,
// src/page-queue.c, src/arena.c, src/alloc.c, src/os.c, src/options.c.
//
//   - The region is one arena of 64 KiB slices (MI_ARENA_SLICE_SIZE),
//     eagerly committed (arena_eager_commit on Linux): nothing is resident
//     until written.
//   - Objects above MI_LARGE_MAX_OBJ_SIZE (512 KiB) get a singleton page
//     (mi_huge_page_alloc, mi_arenas_page_singleton_alloc): the block is
//     _mi_os_good_alloc_size(n) (rounded to 64 KiB below 2 MiB, 256 KiB below
//     8 MiB, 1 MiB below 32 MiB), the page info_size + block slices, the
//     block at the first slice (the page info is kept apart,
//     MI_PAGE_META_IS_SEPARATED). Free slices are found lowest first.
//   - Smaller objects go to size classes (mi_bin: exact up to 64 bytes, then
//     four classes per power of two) in small (64 KiB, blocks ≤ 10 KiB),
//     medium (512 KiB, ≤ ~84 KiB) and large (4 MiB, ≤ 512 KiB) pages. A page
//     is extended by about 4 KiB of blocks at a time (at least one), each
//     written with its free-list link; freed blocks go to the page's local
//     list and are reused last-freed first (mi_page_extend_free,
//     _mi_page_free_collect).
//   - A page whose blocks are all free is freed to the arena
//     (_mi_page_free, _mi_arenas_free), except the only page of its size
//     class, which is retired and kept (_mi_page_retire). Freed slices are
//     reusable at once, resident pages and all.
//   - Purge (mi_arena_schedule_purge, mi_arena_try_purge): a free marks its
//     slices and, if no purge is pending, sets the arena's expiry to now +
//     purge_delay (1000 ms × arena_purge_mult 1). At the first collect point
//     after the expiry every marked slice that is still free is purged
//     (purge_decommits: MADV_DONTNEED on Linux), however recently it was
//     freed, and all marks are cleared.
//   - realloc (_mi_theap_realloc_zero): stays put when the new size fits the
//     block and wastes at most half of it; else allocates, copies
//     min(usable, n) bytes and frees.
//
// Time is the caller's simulated clock (Allocator.Tick). Departures:
// mimalloc reaches a collect point only when a page is freed or every 10000
// generic allocations; the model collects at every Alloc, Realloc, Free and
// Tick, as a busy process would within milliseconds. Retired pages are kept
// until reused (mimalloc frees them after 4 to 16 collect cycles of 1000
// generic allocations). Page choice within a size class takes the first
// page with a free block (mimalloc weighs up to 4 candidates). Arena
// metadata, the page map, thread-local heaps, abandoned pages, per-thread
// theaps and arena growth (arena_reserve 1 GiB at a time) are not modelled;
// the arena is the whole region.
//
// # Policy go
//
// Plain Go slices (make): the comparison that shows why the others exist,
// and right for a Go uploader. Its Resident is the touched pages of live
// slices only, counted from each slice's start; it is not Go's heap (no
// garbage awaiting collection, no fragmentation, no GC overhead), which the
// harness measures separately. Realloc copies the whole old slice, as append
// does.
package alloc
