#pragma once
// The allocator of the operations a held stream keeps pending for minutes
// (its one-byte read, the wait on its client's socket). Asio's default
// recycles blocks per thread and gives an operation any cached block large
// enough, so a ~230-byte wait kept the ~480-byte block of an earlier read
// for as long as the stream lasted. This one asks for the operation's own
// size. Bind it to a completion token or handler with
// boost::asio::bind_allocator(ExactAllocator<>(), token).
#include <cstddef>
#include <new>

namespace sb::core {

template <class T = void>
struct ExactAllocator {
    using value_type = T;

    ExactAllocator() noexcept = default;
    template <class U>
    ExactAllocator(const ExactAllocator<U> &) noexcept {}

    T *allocate(std::size_t n) { return static_cast<T *>(::operator new(n * sizeof(T))); }
    void deallocate(T *p, std::size_t) noexcept { ::operator delete(p); }

    template <class U>
    bool operator==(const ExactAllocator<U> &) const noexcept {
        return true;
    }
};

}  // namespace sb::core
