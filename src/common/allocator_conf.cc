// jemalloc's options for the programs that link it (CMakeLists.txt: sluice_allocator), read at
// its first allocation. MALLOC_CONF in the environment still overrides them.
//
// slab_sizes:1-4096:16: the small size classes get slabs of about 16 pages (64 KiB) instead of
// 1-5 pages. jemalloc keeps a record per slab, and radix-tree leaves for its pages, in metadata
// it never gives back to the system; so a large queue, once deleted, left those records behind
// (268,000 messages of 256 B: about 13,000 slabs; jemalloc's metadata grew by 1.17 MB and stayed,
// against 0.33 MB with the larger slabs; RSS 12 s after the DeleteQueue 1.15x the idle RSS
// against 1.11x). Idle RSS and memory per queued message do not change: a slab's pages are only
// touched as its regions are used.
extern "C" {
// The variable jemalloc reads (it defines a weak default; this definition replaces it).
extern const char* malloc_conf;
const char* malloc_conf = "slab_sizes:1-4096:16";
}
