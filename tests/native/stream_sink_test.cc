// Tests of native/stream/sink.{h,c}: the libuv writer thread and its
// bounded queue, without Python. This process keeps SIGPIPE's default
// action (Python would ignore it), so a write to a closed pipe outside
// the writer thread's blocked mask would kill the test.

#include "native/stream/sink.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// A hang guard for what must not block, not a benchmark.
constexpr std::chrono::seconds kQuick{5};

std::string ReadFile(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

class SinkTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_NE(signal(SIGPIPE, SIG_DFL), SIG_ERR);
        char pattern[] = "/tmp/mi_sink_test_XXXXXX";
        ASSERT_NE(mkdtemp(pattern), nullptr);
        dir_ = pattern;
    }
    void TearDown() override {
        std::string command = "rm -rf '" + dir_ + "'";
        ASSERT_EQ(system(command.c_str()), 0);
    }

    mi_sink *Open(mi_sink_kind kind, const char *const *argv,
                  const std::string &path, size_t capacity = 0) {
        mi_sink_options options = {};
        options.kind = kind;
        options.argv = argv;
        options.path = path.empty() ? nullptr : path.c_str();
        options.capacity = capacity;
        mi_sink *sink = nullptr;
        mi_sink_error error = {};
        int status = mi_sink_open(&sink, &options, &error);
        EXPECT_EQ(status, 0) << error.message;
        return sink;
    }

    std::string dir_;
};

const std::string kRecord(100, 'r');
const std::string kEnd = "END";

TEST_F(SinkTest, FileRoundTrip) {
    std::string path = dir_ + "/recording";
    mi_sink *sink = Open(MI_SINK_FILE, nullptr, path);
    ASSERT_NE(sink, nullptr);
    std::string expected;
    for (int i = 0; i < 1000; i++) {
        std::string record = std::to_string(i) + kRecord;
        ASSERT_EQ(mi_sink_push(sink, record.data(), record.size()),
                  MI_SINK_QUEUED);
        expected += record;
    }
    mi_sink_stats stats;
    EXPECT_EQ(mi_sink_close(sink, kEnd.data(), kEnd.size(), 10, &stats), 0);
    EXPECT_EQ(stats.records, 1000u);
    EXPECT_EQ(stats.dropped, 0u);
    EXPECT_TRUE(stats.flushed);
    EXPECT_FALSE(stats.broken);
    EXPECT_EQ(stats.pid, 0);
    EXPECT_EQ(ReadFile(path), expected + kEnd);
}

// Records pushed in quick succession are written together, at most every
// 10 ms; the last ones must still be written soon when nothing follows
// them (a program killed later must not lose them), without a close.
TEST_F(SinkTest, TheLastRecordsOfABurstAreWrittenWithoutMore) {
    std::string path = dir_ + "/recording";
    mi_sink *sink = Open(MI_SINK_FILE, nullptr, path);
    ASSERT_NE(sink, nullptr);
    std::string expected;
    for (int i = 0; i < 200; i++) {
        std::string record = std::to_string(i) + kRecord;
        ASSERT_EQ(mi_sink_push(sink, record.data(), record.size()),
                  MI_SINK_QUEUED);
        expected += record;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    auto deadline = Clock::now() + kQuick;
    while (ReadFile(path).size() < expected.size()
           && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    EXPECT_EQ(ReadFile(path), expected);
    mi_sink_stats stats;
    EXPECT_EQ(mi_sink_close(sink, kEnd.data(), kEnd.size(), 10, &stats), 0);
    EXPECT_EQ(stats.records, 200u);
    EXPECT_EQ(ReadFile(path), expected + kEnd);
}

TEST_F(SinkTest, RecordLargerThanTheQueueIsDroppedWhole) {
    std::string path = dir_ + "/recording";
    mi_sink *sink = Open(MI_SINK_FILE, nullptr, path, 150);
    ASSERT_NE(sink, nullptr);
    std::string big(151, 'b');
    EXPECT_EQ(mi_sink_push(sink, big.data(), big.size()), MI_SINK_FULL);
    EXPECT_EQ(mi_sink_push(sink, kRecord.data(), kRecord.size()),
              MI_SINK_QUEUED);
    mi_sink_stats stats;
    EXPECT_EQ(mi_sink_close(sink, kEnd.data(), kEnd.size(), 10, &stats), 0);
    EXPECT_EQ(stats.records, 1u);
    EXPECT_EQ(stats.dropped, 1u);
    EXPECT_EQ(ReadFile(path), kRecord + kEnd);
}

TEST_F(SinkTest, OpenErrorsSayWhatFailed) {
    const char *const missing[] = {"mi-sink-test-no-such-program", nullptr};
    mi_sink_options options = {};
    mi_sink_error error = {};
    mi_sink *sink = nullptr;

    options.kind = MI_SINK_SPAWN;
    options.argv = missing;
    EXPECT_EQ(mi_sink_open(&sink, &options, &error), -ENOENT);
    EXPECT_EQ(sink, nullptr);
    EXPECT_EQ(error.sys_errno, ENOENT);
    EXPECT_NE(std::strstr(error.message, "cannot spawn"), nullptr);

    std::string no_dir = dir_ + "/no/such/dir";
    options.kind = MI_SINK_FILE;
    options.path = no_dir.c_str();
    EXPECT_EQ(mi_sink_open(&sink, &options, &error), -ENOENT);
    EXPECT_NE(std::strstr(error.message, "cannot open"), nullptr);

    std::string socket_path = dir_ + "/refusing";
    int bound = socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_GE(bound, 0);
    sockaddr_un address = {};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket_path.c_str(),
                 sizeof(address.sun_path) - 1);
    ASSERT_EQ(bind(bound, reinterpret_cast<sockaddr *>(&address),
                   sizeof(address)), 0);
    options.kind = MI_SINK_SOCKET;
    options.path = socket_path.c_str();
    EXPECT_EQ(mi_sink_open(&sink, &options, &error), -ECONNREFUSED);
    EXPECT_NE(std::strstr(error.message, "cannot connect"), nullptr);
    close(bound);

    std::string too_long = "/tmp/" + std::string(200, 'x');
    options.path = too_long.c_str();
    EXPECT_EQ(mi_sink_open(&sink, &options, &error), -ENAMETOOLONG);
}

TEST_F(SinkTest, SpawnedChildReadsEverythingAndItsStatusIsKept) {
    std::string path = dir_ + "/copy";
    std::string script = "cat > '" + path + "'; exit 7";
    const char *const argv[] = {"sh", "-c", script.c_str(), nullptr};
    mi_sink *sink = Open(MI_SINK_SPAWN, argv, "");
    ASSERT_NE(sink, nullptr);
    std::string expected;
    for (int i = 0; i < 20000; i++) {
        ASSERT_EQ(mi_sink_push(sink, kRecord.data(), kRecord.size()),
                  MI_SINK_QUEUED);
        expected += kRecord;
    }
    mi_sink_stats stats;
    EXPECT_EQ(mi_sink_close(sink, kEnd.data(), kEnd.size(), 30, &stats), 0);
    EXPECT_GT(stats.pid, 0);
    EXPECT_TRUE(stats.exited);
    EXPECT_FALSE(stats.exited_early);
    EXPECT_EQ(stats.exit_status, 7);
    EXPECT_EQ(stats.term_signal, 0);
    EXPECT_EQ(stats.records, 20000u);
    EXPECT_EQ(ReadFile(path), expected + kEnd);
}

// A child forked while the sink is open holds a copy of the pipe: when it
// closes the sink, only that copy is closed, so the reader sees the end of
// the recording when the parent closes, not when the child exits.
TEST_F(SinkTest, AForkedChildDoesNotKeepTheReaderWaiting) {
    std::string path = dir_ + "/copy";
    std::string script = "cat > '" + path + "'";
    const char *const argv[] = {"sh", "-c", script.c_str(), nullptr};
    mi_sink *sink = Open(MI_SINK_SPAWN, argv, "");
    ASSERT_NE(sink, nullptr);
    ASSERT_EQ(mi_sink_push(sink, kRecord.data(), kRecord.size()),
              MI_SINK_QUEUED);
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        mi_sink_stats child_stats;
        // No writer thread here: dropped, and close returns at once.
        int dropped = mi_sink_push(sink, kRecord.data(), kRecord.size())
                      == MI_SINK_BROKEN;
        int closed = mi_sink_close(sink, nullptr, 0, 1, &child_stats) == 0;
        sleep(30);
        _exit(dropped && closed ? 0 : 1);
    }
    mi_sink_stats stats;
    auto started = Clock::now();
    int timed_out = mi_sink_close(sink, kEnd.data(), kEnd.size(), 10, &stats);
    auto waited = Clock::now() - started;
    EXPECT_EQ(kill(child, SIGKILL), 0);
    int status = 0;
    EXPECT_EQ(waitpid(child, &status, 0), child);
    EXPECT_EQ(timed_out, 0);
    EXPECT_LT(waited, kQuick);
    EXPECT_TRUE(stats.exited);
    EXPECT_EQ(stats.exit_status, 0);
    EXPECT_EQ(ReadFile(path), kRecord + kEnd);
}

TEST_F(SinkTest, FullQueueDropsWithoutBlocking) {
    const char *const argv[] = {"sleep", "30", nullptr};
    // 20 rounds of 64 KiB: more than the pipe holds, so that bytes are
    // still queued when close() gives up.
    mi_sink *sink = Open(MI_SINK_SPAWN, argv, "", 64 << 10);
    ASSERT_NE(sink, nullptr);
    mi_sink_stats stats;
    mi_sink_get_stats(sink, &stats);
    int pid = stats.pid;
    auto started = Clock::now();
    uint64_t queued = 0, full = 0;
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 10000; i++) {
            mi_sink_push_result result =
                mi_sink_push(sink, kRecord.data(), kRecord.size());
            ASSERT_NE(result, MI_SINK_BROKEN);
            (result == MI_SINK_QUEUED ? queued : full)++;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_LT(Clock::now() - started, kQuick);
    EXPECT_GT(full, 0u);
    mi_sink_get_stats(sink, &stats);
    EXPECT_EQ(stats.records, queued);
    EXPECT_EQ(stats.dropped, full);
    started = Clock::now();
    EXPECT_EQ(mi_sink_close(sink, kEnd.data(), kEnd.size(), 0.1, &stats),
              1);
    EXPECT_LT(Clock::now() - started, kQuick);
    EXPECT_FALSE(stats.exited);
    EXPECT_FALSE(stats.flushed);
    EXPECT_GT(stats.abandoned, 0u);
    EXPECT_EQ(stats.records + stats.dropped, queued + full);
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    ASSERT_EQ(waitpid(pid, nullptr, 0), pid);
}

TEST_F(SinkTest, CollectorLeavingEarlyBreaksTheSinkWithoutSigpipe) {
    // Reads 10 bytes, then leaves: the next writes meet EPIPE.
    const char *const argv[] = {"sh", "-c", "head -c 10 >/dev/null",
                                nullptr};
    mi_sink *sink = Open(MI_SINK_SPAWN, argv, "");
    ASSERT_NE(sink, nullptr);
    auto started = Clock::now();
    mi_sink_push_result result = MI_SINK_QUEUED;
    while (result != MI_SINK_BROKEN && Clock::now() - started < kQuick) {
        result = mi_sink_push(sink, kRecord.data(), kRecord.size());
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_EQ(result, MI_SINK_BROKEN);
    mi_sink_stats stats;
    mi_sink_get_stats(sink, &stats);
    EXPECT_TRUE(stats.broken);
    EXPECT_GT(stats.dropped, 0u);
    EXPECT_EQ(mi_sink_close(sink, kEnd.data(), kEnd.size(), 10, &stats), 0);
    EXPECT_TRUE(stats.exited);
    EXPECT_EQ(stats.exit_status, 0);
    char reason[128];
    mi_sink_describe_break(&stats, reason, sizeof(reason));
    EXPECT_NE(std::string(reason).find("exited with status 0"),
              std::string::npos) << reason;
}

TEST_F(SinkTest, SocketRoundTrip) {
    std::string socket_path = dir_ + "/collector";
    int server = socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_GE(server, 0);
    sockaddr_un address = {};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket_path.c_str(),
                 sizeof(address.sun_path) - 1);
    ASSERT_EQ(bind(server, reinterpret_cast<sockaddr *>(&address),
                   sizeof(address)), 0);
    ASSERT_EQ(listen(server, 1), 0);
    std::string received;
    std::thread reader([&] {
        int connection = accept(server, nullptr, nullptr);
        char buffer[65536];
        ssize_t n;
        while ((n = read(connection, buffer, sizeof(buffer))) > 0) {
            received.append(buffer, static_cast<size_t>(n));
        }
        close(connection);
    });
    mi_sink *sink = Open(MI_SINK_SOCKET, nullptr, socket_path);
    ASSERT_NE(sink, nullptr);
    std::string expected;
    for (int i = 0; i < 5000; i++) {
        ASSERT_EQ(mi_sink_push(sink, kRecord.data(), kRecord.size()),
                  MI_SINK_QUEUED);
        expected += kRecord;
    }
    mi_sink_stats stats;
    EXPECT_EQ(mi_sink_close(sink, kEnd.data(), kEnd.size(), 10, &stats), 0);
    reader.join();
    close(server);
    EXPECT_EQ(received, expected + kEnd);
    EXPECT_FALSE(stats.broken);
}

TEST(SinkDescribeBreak, NamesTheCause) {
    mi_sink_stats stats = {};
    char text[128];
    stats.broken = 1;
    stats.exited = 1;
    stats.term_signal = 9;
    stats.error = -EPIPE;
    mi_sink_describe_break(&stats, text, sizeof(text));
    EXPECT_STREQ(text, "killed by signal 9, broken pipe");
    stats.exited = 0;
    mi_sink_describe_break(&stats, text, sizeof(text));
    EXPECT_STREQ(text, "broken pipe");
    stats.exited = 1;
    stats.term_signal = 0;
    stats.exit_status = 2;
    stats.error = 0;
    mi_sink_describe_break(&stats, text, sizeof(text));
    EXPECT_STREQ(text, "exited with status 2");
}

}  // namespace
