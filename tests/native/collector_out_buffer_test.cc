// Tests of native/collector/out_buffer.{h,c}: what is written arrives
// whole and in order, to a stream or a descriptor, through a buffer
// smaller than the writes; numbers as printf writes them; failures are
// sticky and reported with errno.

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

extern "C" {
#include "native/collector/out_buffer.h"
}

namespace {

// Writes pieces of every size from 0 to 700 (and numbers) through `out`,
// and returns what the destination should hold.
std::string WritePieces(mi_out *out) {
    std::string expected;
    for (size_t size = 0; size <= 700; size++) {
        std::string piece(size, static_cast<char>('a' + size % 26));
        mi_out_write(out, piece.data(), piece.size());
        expected += piece;
        mi_out_putc(out, '|');
        expected += '|';
        uint64_t value = (uint64_t{1} << (size % 64)) * 3 + size;
        mi_out_uint(out, value);
        mi_out_int(out, -static_cast<int64_t>(value >> 1));
        mi_out_hex(out, value);
        char text[80];
        std::snprintf(text, sizeof(text), "%llu%lld%llx",
                      static_cast<unsigned long long>(value),
                      -static_cast<long long>(value >> 1),
                      static_cast<unsigned long long>(value));
        expected += text;
        mi_out_puts(out, "\n");
        expected += "\n";
    }
    mi_out_int(out, INT64_MIN);
    mi_out_hex(out, 0);
    mi_out_hex(out, UINT64_MAX);
    expected += "-92233720368547758080ffffffffffffffff";
    return expected;
}

TEST(CollectorOutBuffer, StreamThroughASmallBuffer) {
    char *data = nullptr;
    size_t size = 0;
    FILE *stream = open_memstream(&data, &size);
    ASSERT_NE(stream, nullptr);
    std::vector<char> storage(MI_OUT_MIN_CAPACITY);
    mi_out out;
    mi_out_init_stream(&out, stream, storage.data(), storage.size());
    std::string expected = WritePieces(&out);
    EXPECT_EQ(mi_out_flush(&out), 0);
    std::fflush(stream);
    EXPECT_EQ(std::string(data, size), expected);
    // Nothing more before the next flush.
    mi_out_puts(&out, "tail");
    std::fflush(stream);
    EXPECT_EQ(size, expected.size());
    EXPECT_EQ(mi_out_close(&out), 0);
    std::fclose(stream);
    EXPECT_EQ(std::string(data, size), expected + "tail");
    std::free(data);
}

TEST(CollectorOutBuffer, DescriptorWithTheDefaultBuffer) {
    FILE *file = std::tmpfile();
    ASSERT_NE(file, nullptr);
    int fd = fileno(file);
    mi_out out;
    ASSERT_EQ(mi_out_open_fd(&out, fd), 0);
    std::string expected;
    // More than the buffer, in one write and in many.
    std::string big(MI_OUT_DEFAULT_CAPACITY * 2 + 3, 'x');
    mi_out_write(&out, big.data(), big.size());
    expected += big;
    for (int i = 0; i < 4; i++) {
        expected += WritePieces(&out);
    }
    EXPECT_EQ(mi_out_close(&out), 0);
    std::string written(expected.size() + 1, '\0');
    ASSERT_EQ(pread(fd, &written[0], written.size(), 0),
              static_cast<ssize_t>(expected.size()));
    written.resize(expected.size());
    EXPECT_EQ(written, expected);
    std::fclose(file);
}

TEST(CollectorOutBuffer, AFailedWriteIsSticky) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    close(fds[1]);
    int read_only = fds[0];     // writing to it fails with EBADF
    std::vector<char> storage(MI_OUT_MIN_CAPACITY);
    mi_out out;
    mi_out_init_fd(&out, read_only, storage.data(), storage.size());
    mi_out_puts(&out, "small");
    errno = 0;
    EXPECT_EQ(mi_out_flush(&out), -1);
    EXPECT_EQ(errno, EBADF);
    // Later writes go nowhere; every flush says so again.
    std::string big(1000, 'y');
    mi_out_write(&out, big.data(), big.size());
    EXPECT_FALSE(mi_out_make_room(&out, 1));
    // What fits is taken, then no room is made.
    mi_out_write(&out, big.data(), MI_OUT_MIN_CAPACITY);
    EXPECT_EQ(mi_out_reserve(&out, 1), nullptr);
    mi_out_puts(&out, "more");
    errno = 0;
    EXPECT_EQ(mi_out_close(&out), -1);
    EXPECT_EQ(errno, EBADF);
    close(read_only);
}

}  // namespace
