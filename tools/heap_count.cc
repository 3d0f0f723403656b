#include "tools/heap_count.h"

#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>

namespace {

std::atomic<long long> live{0};
std::atomic<long long> calls{0};

void* counted_allocation(std::size_t size) {
  void* memory = std::malloc(size == 0 ? 1 : size);
  if (!memory) throw std::bad_alloc();
  live += static_cast<long long>(malloc_usable_size(memory));
  ++calls;
  return memory;
}

void counted_free(void* memory) noexcept {
  if (!memory) return;
  live -= static_cast<long long>(malloc_usable_size(memory));
  std::free(memory);
}

}  // namespace

namespace seltool::heap_count {

long long live_bytes() noexcept { return live.load(); }
long long allocations() noexcept { return calls.load(); }

}  // namespace seltool::heap_count

void* operator new(std::size_t size) { return counted_allocation(size); }
void* operator new[](std::size_t size) { return counted_allocation(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted_allocation(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void operator delete(void* memory) noexcept { counted_free(memory); }
void operator delete[](void* memory) noexcept { counted_free(memory); }
void operator delete(void* memory, std::size_t) noexcept { counted_free(memory); }
void operator delete[](void* memory, std::size_t) noexcept { counted_free(memory); }
