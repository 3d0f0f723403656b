// How the per-descriptor arrays grow: by an eighth of what they must hold, not by doubling
// as std::vector does on its own. Still amortized O(1) (on average an element is moved at
// most eight times), with at most 12.5% spare capacity instead of up to 100%
// (docs/benchmarks.md, "Memory").
#pragma once

#include <cstddef>
#include <vector>

namespace seltool {

// Makes room for `size` elements in `array` without reallocating on the way there.
template <typename T>
void reserve_for(std::vector<T>& array, std::size_t size) {
  if (size > array.capacity()) array.reserve(size + size / 8);
}

// Resizes `array` to `size` elements (new ones value-initialized or `value`), growing so.
template <typename T>
void grow_to(std::vector<T>& array, std::size_t size) {
  reserve_for(array, size);
  array.resize(size);
}
template <typename T>
void grow_to(std::vector<T>& array, std::size_t size, const T& value) {
  reserve_for(array, size);
  array.resize(size, value);
}

}  // namespace seltool
