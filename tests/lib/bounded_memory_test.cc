// What a selector holds stays bounded however long a program registers, modifies and
// unregisters without calling select() (a loop that opens and closes connections, say): the
// heap, counted by //tools:heap_count, may not grow with the number of cycles. Every backend.
// (io_uring once queued a descriptor again on each registration until the next wait.)
#include <unistd.h>

#include "tests/lib/test_support.h"
#include "tools/heap_count.h"

namespace seltool::testing {
namespace {

class BoundedMemoryTest : public BackendTest {};

TEST_P(BoundedMemoryTest, RegisterModifyUnregisterWithoutSelectHoldNothingMore) {
  Pipe pipe = make_pipe();
  auto cycles = [&](int count) {
    for (int i = 0; i < count; ++i) {
      selector->register_file(pipe.read_end, EVENT_READ);
      selector->modify(pipe.read_end, EVENT_READ | EVENT_WRITE);
      selector->unregister(pipe.read_end);
    }
  };
  cycles(1000);  // every buffer at its steady size
  const long long before = heap_count::live_bytes();
  cycles(20000);
  EXPECT_LT(heap_count::live_bytes() - before, 4096) << "bytes held after 20000 more cycles";
  selector->register_file(pipe.read_end, EVENT_READ);
  ASSERT_EQ(::write(pipe.write_end.get(), "x", 1), 1);
  EXPECT_EQ(selector->select(0).size(), 1u);  // and the selector still works
}

INSTANTIATE_TEST_SUITE_P(Backends, BoundedMemoryTest, ::testing::ValuesIn(backend_params()),
                         param_name);

}  // namespace
}  // namespace seltool::testing
