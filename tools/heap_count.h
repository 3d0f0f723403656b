// Heap accounting for a whole program: linking //tools:heap_count replaces the global
// operator new and delete, and counts what they hand out at the size malloc really reserved
// (malloc_usable_size, glibc). For the memory benchmark and the tests that bound memory.
#pragma once

namespace seltool::heap_count {

// Bytes allocated through operator new and not deleted yet.
long long live_bytes() noexcept;
// Calls of operator new so far.
long long allocations() noexcept;

}  // namespace seltool::heap_count
