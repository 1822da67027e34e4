// Tests of the memory-inventory-collector program as a whole: its sources
// (a file, standard input as a pipe and as a file, a Unix socket), the
// files it saves, `report`, its exit statuses and messages.

#include "tests/native/collector_test_recording.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using mi_test::Recording;

std::string ReadFile(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void WriteFile(const std::string &path, const std::string &bytes) {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
}

struct Outcome {
    int status = -1;
    std::string out;
    std::string err;
};

class CollectorMainTest : public ::testing::Test {
  protected:
    void SetUp() override {
        const char *srcdir = std::getenv("TEST_SRCDIR");
        const char *workspace = std::getenv("TEST_WORKSPACE");
        ASSERT_NE(srcdir, nullptr) << "run under bazel test";
        program_ = std::string(srcdir) + "/" + workspace +
                   "/native/memory-inventory-collector";
        const char *base = std::getenv("TEST_TMPDIR");
        std::string pattern = std::string(base != nullptr ? base : "/tmp") +
                              "/collector_main_XXXXXX";
        std::vector<char> buffer(pattern.begin(), pattern.end());
        buffer.push_back('\0');
        ASSERT_NE(mkdtemp(buffer.data()), nullptr);
        dir_ = buffer.data();
        mi_test::FullRecording(valid_);
        WriteFile(dir_ + "/valid.msgpack", valid_.Bytes());
    }
    void TearDown() override {
        std::string command = "rm -rf '" + dir_ + "'";
        EXPECT_EQ(std::system(command.c_str()), 0);
    }

    // Runs the program with `args`, standard input from `input_path`
    // (a file) or, when `pipe_input` is set, through a pipe.
    Outcome Collect(const std::vector<std::string> &args,
                const std::string &input_path = "/dev/null",
                const std::string *pipe_input = nullptr) {
        Outcome run;
        std::string out_path = dir_ + "/stdout", err_path = dir_ + "/stderr";
        int in_pipe[2] = {-1, -1};
        if (pipe_input != nullptr && pipe(in_pipe) != 0) {
            return run;
        }
        pid_t pid = fork();
        if (pid == 0) {
            int in = pipe_input != nullptr ? in_pipe[0]
                                           : open(input_path.c_str(), O_RDONLY);
            int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            dup2(in, 0);
            dup2(out, 1);
            dup2(err, 2);
            if (pipe_input != nullptr) {
                close(in_pipe[1]);
            }
            if (chdir(dir_.c_str()) != 0) {
                _exit(125);
            }
            std::vector<char *> argv;
            argv.push_back(const_cast<char *>(program_.c_str()));
            for (const auto &a : args) {
                argv.push_back(const_cast<char *>(a.c_str()));
            }
            argv.push_back(nullptr);
            execv(program_.c_str(), argv.data());
            _exit(127);
        }
        if (pipe_input != nullptr) {
            close(in_pipe[0]);
            // Small writes, so the collector sees several chunks.
            for (size_t at = 0; at < pipe_input->size(); at += 100) {
                size_t n = std::min<size_t>(100, pipe_input->size() - at);
                if (write(in_pipe[1], pipe_input->data() + at, n) !=
                    static_cast<ssize_t>(n)) {
                    break;
                }
            }
            close(in_pipe[1]);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        run.out = ReadFile(out_path);
        run.err = ReadFile(err_path);
        return run;
    }

    // The one directory made from `prefix` under dir_.
    std::string Made(const std::string &prefix) {
        std::string command = "ls -d '" + dir_ + "/" + prefix +
                              "'?????? > '" + dir_ + "/made'";
        if (std::system(command.c_str()) != 0) {
            return "";
        }
        std::string made = ReadFile(dir_ + "/made");
        return made.substr(0, made.find('\n'));
    }

    std::string program_;
    std::string dir_;
    Recording valid_;
};

TEST_F(CollectorMainTest, ValidFileSavedInANewDirectory) {
    Outcome run = Collect({"valid.msgpack"});
    EXPECT_EQ(run.status, 0) << run.err;
    EXPECT_EQ(run.err, "");
    std::string made = Made("memory_inventory_");
    ASSERT_FALSE(made.empty());
    EXPECT_NE(run.out.find("Types by intrinsic memory usage:\n"),
              std::string::npos);
    EXPECT_NE(run.out.find("The full results have been saved in " + made +
                           "/\n"),
              std::string::npos)
        << run.out;
    EXPECT_EQ(ReadFile(made + "/recording.msgpack"), valid_.Bytes());
    EXPECT_EQ(ReadFile(made + "/report.txt"), run.out);
    EXPECT_NE(ReadFile(made + "/report.json").find("\"complete\": true"),
              std::string::npos);
    EXPECT_FALSE(ReadFile(made + "/types_by_memory_usage.html").empty());
    struct stat st;
    ASSERT_EQ(stat(made.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(CollectorMainTest, StandardInputAsPipeAndAsFile) {
    std::string bytes = valid_.Bytes();
    Outcome piped = Collect({"--no-save"}, "", &bytes);
    EXPECT_EQ(piped.status, 0) << piped.err;
    Outcome file = Collect({"--no-save", "-"}, dir_ + "/valid.msgpack");
    EXPECT_EQ(file.status, 0) << file.err;
    EXPECT_EQ(piped.out, file.out);
    EXPECT_EQ(piped.out.find("saved"), std::string::npos);
}

TEST_F(CollectorMainTest, ReportRebuildsFromARecording) {
    Outcome first = Collect({"valid.msgpack", "--save-dir", "saved"});
    ASSERT_EQ(first.status, 0) << first.err;
    // Again, from the saved recording, into the same directory.
    Outcome again = Collect({"report", "saved/recording.msgpack", "--save-dir",
                         "saved"});
    EXPECT_EQ(again.status, 0) << again.err;
    EXPECT_EQ(again.out, first.out);
    EXPECT_EQ(ReadFile(dir_ + "/saved/recording.msgpack"), valid_.Bytes());
    Outcome quiet = Collect({"report", "valid.msgpack", "--no-save", "--quiet"});
    EXPECT_EQ(quiet.status, 0);
    EXPECT_EQ(quiet.out, "");
    EXPECT_EQ(quiet.err, "");
}

TEST_F(CollectorMainTest, InvalidRecordingIsReportedAndSaved) {
    Recording r;
    mi_test::MinimalStart(r);
    r.Duplicate(1, "'x'", 50, 1);
    r.End();
    WriteFile(dir_ + "/invalid.msgpack", r.Bytes());
    Outcome run = Collect({"invalid.msgpack", "--save-dir", "out"});
    EXPECT_EQ(run.status, 2);
    std::string reason = "record 5 at byte " + std::to_string(r.Offset(5)) +
                         ": DUPLICATE field 5 (copies) must be at least 2";
    EXPECT_EQ(run.err, "memory-inventory-collector: incomplete recording: " +
                           reason + "\n");
    EXPECT_NE(run.out.find("\nThis report is INCOMPLETE: " + reason + "\n"),
              std::string::npos)
        << run.out;
    // Nothing received is lost, the valid part is reported.
    EXPECT_EQ(ReadFile(dir_ + "/out/recording.msgpack"), r.Bytes());
    std::string json = ReadFile(dir_ + "/out/report.json");
    EXPECT_NE(json.find("\"complete\": false"), std::string::npos);
    EXPECT_NE(json.find(reason), std::string::npos);
}

TEST_F(CollectorMainTest, TruncatedRecording) {
    std::string bytes = valid_.Bytes();
    bytes.resize(bytes.size() - 2);
    WriteFile(dir_ + "/cut.msgpack", bytes);
    Outcome run = Collect({"--no-save", "cut.msgpack"});
    EXPECT_EQ(run.status, 2);
    size_t end = valid_.Records();
    EXPECT_EQ(run.err, "memory-inventory-collector: incomplete recording: "
                       "record " + std::to_string(end) + " at byte " +
                       std::to_string(valid_.Offset(end)) +
                       ": the recording ends inside this record, after " +
                       std::to_string(bytes.size() - valid_.Offset(end)) +
                       " of its bytes\n");
}

TEST_F(CollectorMainTest, UnixSocket) {
    // A socket path has at most 107 bytes: TEST_TMPDIR is too deep.
    char short_dir[] = "/tmp/mi_socket_XXXXXX";
    ASSERT_NE(mkdtemp(short_dir), nullptr);
    std::string socket_path = std::string(short_dir) + "/collector.sock";
    pid_t writer = fork();
    if (writer == 0) {
        // Connects once the collector listens, sends, closes.
        for (int attempt = 0; attempt < 500; attempt++) {
            int fd = socket(AF_UNIX, SOCK_STREAM, 0);
            sockaddr_un address = {};
            address.sun_family = AF_UNIX;
            std::strncpy(address.sun_path, socket_path.c_str(),
                         sizeof(address.sun_path) - 1);
            if (connect(fd, reinterpret_cast<sockaddr *>(&address),
                        sizeof(address)) == 0) {
                std::string bytes = valid_.Bytes();
                bool ok = write(fd, bytes.data(), bytes.size()) ==
                          static_cast<ssize_t>(bytes.size());
                close(fd);
                _exit(ok ? 0 : 1);
            }
            close(fd);
            usleep(10000);
        }
        _exit(2);
    }
    Outcome run = Collect({"--socket", socket_path, "--save-dir", "sock"});
    int status = 0;
    waitpid(writer, &status, 0);
    EXPECT_EQ(WEXITSTATUS(status), 0);
    EXPECT_EQ(run.status, 0) << run.err;
    EXPECT_EQ(run.err, "memory-inventory-collector: listening on " +
                           socket_path + "\n");
    EXPECT_EQ(ReadFile(dir_ + "/sock/recording.msgpack"), valid_.Bytes());
    EXPECT_NE(access(socket_path.c_str(), F_OK), 0);  // removed
    EXPECT_EQ(rmdir(short_dir), 0);
}

TEST_F(CollectorMainTest, SocketPathTooLong) {
    std::string socket_path = "/tmp/" + std::string(120, 's');
    Outcome run = Collect({"--socket", socket_path});
    EXPECT_EQ(run.status, 1);
    EXPECT_EQ(run.err, "memory-inventory-collector: cannot listen on " +
                           socket_path + ": a socket path has at most 107 "
                           "bytes\n");
    EXPECT_NE(access(socket_path.substr(0, 107).c_str(), F_OK), 0);
}

TEST_F(CollectorMainTest, UsageAndInputErrorsCreateNothing) {
    struct Case {
        std::vector<std::string> args;
        std::string err;
    };
    const std::string help = "(memory-inventory-collector --help shows the "
                             "usage)\n";
    const Case cases[] = {
        {{"--bogus"}, "memory-inventory-collector: unknown option --bogus\n" +
                          help},
        {{"--save-dir", "a", "--save-dir-prefix", "b"},
         "memory-inventory-collector: --save-dir and --save-dir-prefix "
         "exclude each other\n" + help},
        {{"--no-save", "--save-dir", "a"},
         "memory-inventory-collector: --no-save excludes --save-dir and "
         "--save-dir-prefix\n" + help},
        {{"--socket", "s", "x.msgpack"},
         "memory-inventory-collector: --socket excludes a RECORDING\n" + help},
        {{"report"}, "memory-inventory-collector: report needs a RECORDING\n" +
                         help},
        {{"a", "b"}, "memory-inventory-collector: one recording at a time "
                     "(and b is a second one)\n" + help},
        {{"--save-dir"}, "memory-inventory-collector: --save-dir needs a "
                         "directory\n" + help},
        {{"missing.msgpack"}, "memory-inventory-collector: cannot open "
                              "missing.msgpack: no such file or directory\n"},
        {{"."}, "memory-inventory-collector: cannot read .: it is a "
                "directory\n"},
    };
    for (const Case &c : cases) {
        Outcome run = Collect(c.args);
        EXPECT_EQ(run.status, 1) << c.args[0];
        EXPECT_EQ(run.err, c.err);
        EXPECT_EQ(run.out, "");
    }
    EXPECT_EQ(Made("memory_inventory_"), "");
    Outcome help_run = Collect({"--help"});
    EXPECT_EQ(help_run.status, 0);
    EXPECT_EQ(help_run.out.rfind("usage: memory-inventory-collector", 0), 0u);
}

// ---- Import tracing: what is printed and saved ----

class CollectorTracedTest : public CollectorMainTest {
  protected:
    void SetUp() override {
        CollectorMainTest::SetUp();
        mi_test::TracedRecording(traced_);
        WriteFile(dir_ + "/traced.msgpack", traced_.Bytes());
    }
    Recording traced_;
};

TEST_F(CollectorTracedTest, AutoPrintsTheTreeThenTheSummaryAndSavesBoth) {
    Outcome run = Collect({"traced.msgpack", "--save-dir", "out"});
    ASSERT_EQ(run.status, 0) << run.err;
    EXPECT_EQ(run.err, "");
    std::string imports = ReadFile(dir_ + "/out/imports.txt");
    std::string importtime = ReadFile(dir_ + "/out/importtime.txt");
    std::string report = ReadFile(dir_ + "/out/report.txt");
    EXPECT_EQ(imports.rfind("import memory: self [B] | cumulative [B] | "
                            "objects | self [us] | cumulative [us] | "
                            "imported package\n", 0), 0u)
        << imports;
    EXPECT_NE(imports.find("Top 10 imports by cumulative memory:"),
              std::string::npos);
    EXPECT_EQ(importtime.rfind("import time: self [us] | cumulative | "
                               "imported package\n", 0), 0u);
    EXPECT_NE(importtime.find("import time:      3300 |       7150 | json\n"),
              std::string::npos)
        << importtime;
    EXPECT_NE(report.find("Types by intrinsic memory usage:"),
              std::string::npos);
    EXPECT_NE(report.find("The full results have been saved in " + dir_ +
                          "/out/\n"), std::string::npos) << report;
    EXPECT_EQ(run.out, imports + "\n" + report);
    std::string json = ReadFile(dir_ + "/out/report.json");
    EXPECT_NE(json.find("\"import_tree\": {"), std::string::npos);
    EXPECT_NE(json.find("\"retained_adds_up\": true"), std::string::npos);
}

TEST_F(CollectorTracedTest, EachPrintMode) {
    Outcome saved = Collect({"traced.msgpack", "--save-dir", "out",
                             "--print", "none"});
    ASSERT_EQ(saved.status, 0) << saved.err;
    EXPECT_EQ(saved.out, "");
    std::string imports = ReadFile(dir_ + "/out/imports.txt");
    std::string importtime = ReadFile(dir_ + "/out/importtime.txt");
    std::string report = ReadFile(dir_ + "/out/report.txt");

    Outcome summary = Collect({"traced.msgpack", "--save-dir", "out",
                               "--print=summary"});
    EXPECT_EQ(summary.status, 0);
    EXPECT_EQ(summary.out, report);
    Outcome tree = Collect({"traced.msgpack", "--save-dir", "out",
                            "--print", "tree"});
    EXPECT_EQ(tree.status, 0);
    EXPECT_EQ(tree.out, imports + "The full results have been saved in " +
                            dir_ + "/out/\n");
    Outcome time = Collect({"report", "traced.msgpack", "--no-save",
                            "--print", "importtime"});
    EXPECT_EQ(time.status, 0);
    EXPECT_EQ(time.out, importtime);
    Outcome quiet = Collect({"traced.msgpack", "--no-save", "--quiet",
                             "--print", "none"});
    EXPECT_EQ(quiet.status, 0);
    EXPECT_EQ(quiet.out, "");
    EXPECT_EQ(quiet.err, "");
}

TEST_F(CollectorTracedTest, StderrKeepsStandardOutputClean) {
    Outcome out = Collect({"traced.msgpack", "--no-save"});
    Outcome err = Collect({"traced.msgpack", "--no-save", "--stderr"});
    EXPECT_EQ(err.status, 0);
    EXPECT_EQ(err.out, "");
    EXPECT_EQ(err.err, out.out);
    EXPECT_NE(err.err.find("import memory: "), std::string::npos);
    // An incomplete recording: the reports, then the reason.
    std::string cut = traced_.Bytes();
    cut.resize(cut.size() - 1);
    WriteFile(dir_ + "/cut.msgpack", cut);
    Outcome incomplete = Collect({"cut.msgpack", "--no-save", "--stderr",
                                  "--print", "tree"});
    EXPECT_EQ(incomplete.status, 2);
    EXPECT_EQ(incomplete.out, "");
    size_t end = traced_.Records();
    std::string reason = "record " + std::to_string(end) + " at byte " +
                         std::to_string(traced_.Offset(end)) +
                         ": the recording ends inside this record, after " +
                         std::to_string(cut.size() - traced_.Offset(end)) +
                         " of its bytes";
    EXPECT_NE(incomplete.err.find("\nThis report is INCOMPLETE: " + reason +
                                  "\nmemory-inventory-collector: incomplete "
                                  "recording: " + reason + "\n"),
              std::string::npos)
        << incomplete.err;
}

TEST_F(CollectorTracedTest, TopAndMinSize) {
    Outcome none = Collect({"traced.msgpack", "--no-save", "--print", "tree",
                            "--top", "0"});
    EXPECT_EQ(none.status, 0);
    EXPECT_EQ(none.out.find("Top "), std::string::npos);
    EXPECT_NE(none.out.find("Baseline (before tracing):"), std::string::npos);
    Outcome two = Collect({"traced.msgpack", "--no-save", "--print", "tree",
                           "--top=2"});
    EXPECT_NE(two.out.find("Top 2 imports by cumulative memory:\n"
                           "| imported package |"), std::string::npos);
    EXPECT_NE(two.out.find("| -----top 2------ |"), std::string::npos)
        << two.out;
    // 1K = 1024 bytes: json.decoder (3_850 cumulative) stays, json.scanner
    // (850) goes; 6 tree rows hidden.
    Outcome small = Collect({"traced.msgpack", "--no-save", "--print", "tree",
                             "--min-size", "1K"});
    EXPECT_EQ(small.status, 0);
    EXPECT_NE(small.out.find(" |   json.decoder\n"), std::string::npos);
    EXPECT_EQ(small.out.find("| json.scanner"), std::string::npos);
    EXPECT_NE(small.out.find("(6 imports under 1_024 B cumulative not shown: "
                             "--min-size)\n"), std::string::npos)
        << small.out;
    EXPECT_NE(small.out.find("(7 imports under 1_024 B self not listed: "
                             "--min-size)\n"), std::string::npos);
    Outcome time = Collect({"traced.msgpack", "--no-save", "--print",
                            "importtime", "--min-size=1900"});
    EXPECT_EQ(time.out,
              "import time: self [us] | cumulative | imported package\n"
              "import time:      3000 |       3850 |   json.decoder\n"
              "import time:      3300 |       7150 | json\n"
              "import time:       700 |       1900 | worker\n");
    Outcome mib = Collect({"traced.msgpack", "--no-save", "--print", "tree",
                           "--min-size", "1MiB"});
    EXPECT_NE(mib.out.find("(10 imports under 1_048_576 B cumulative not "
                           "shown: --min-size)\n"), std::string::npos);
    // The saved files keep every row.
    Outcome saved = Collect({"traced.msgpack", "--save-dir", "out",
                             "--min-size", "1G", "--quiet"});
    EXPECT_EQ(saved.status, 0);
    EXPECT_NE(ReadFile(dir_ + "/out/imports.txt").find("| json.scanner\n"),
              std::string::npos);
}

TEST_F(CollectorTracedTest, UntracedRecordingPrintsTheSummaryOnly) {
    Outcome run = Collect({"valid.msgpack", "--save-dir", "plain"});
    EXPECT_EQ(run.status, 0);
    EXPECT_EQ(run.out, ReadFile(dir_ + "/plain/report.txt"));
    EXPECT_NE(access((dir_ + "/plain/report.json").c_str(), F_OK), -1);
    EXPECT_EQ(access((dir_ + "/plain/imports.txt").c_str(), F_OK), -1);
    EXPECT_EQ(access((dir_ + "/plain/importtime.txt").c_str(), F_OK), -1);
    Outcome tree = Collect({"valid.msgpack", "--no-save", "--print", "tree"});
    EXPECT_EQ(tree.status, 0);
    EXPECT_EQ(tree.out, "The recording holds no IMPORT records.\n");
}

TEST_F(CollectorTracedTest, BadOptionValues) {
    struct Case {
        std::vector<std::string> args;
        std::string err;
    };
    const std::string help = "(memory-inventory-collector --help shows the "
                             "usage)\n";
    const std::string prefix = "memory-inventory-collector: ";
    const std::string size_error = "--min-size takes a size in bytes, with K, "
                                   "M or G for KiB, MiB or GiB (512K), not '";
    const Case cases[] = {
        {{"--print", "all"}, prefix + "--print takes auto, summary, tree, "
                             "importtime or none, not 'all'\n" + help},
        {{"--print"}, prefix + "--print needs a mode: auto, summary, tree, "
                      "importtime or none\n" + help},
        {{"--print="}, prefix + "--print takes auto, summary, tree, "
                       "importtime or none, not ''\n" + help},
        {{"--top", "-1"}, prefix + "--top takes a number of rows (0: no top "
                          "tables), not '-1'\n" + help},
        {{"--top", "ten"}, prefix + "--top takes a number of rows (0: no top "
                           "tables), not 'ten'\n" + help},
        {{"--top", "99999999999999999999"},
         prefix + "--top takes a number of rows (0: no top tables), not "
                  "'99999999999999999999'\n" + help},
        {{"--top"}, prefix + "--top needs a number of rows\n" + help},
        {{"--min-size", "1T"}, prefix + size_error + "1T'\n" + help},
        {{"--min-size", "K"}, prefix + size_error + "K'\n" + help},
        {{"--min-size", " 5"}, prefix + size_error + " 5'\n" + help},
        {{"--min-size", "17179869184G"},
         prefix + size_error + "17179869184G'\n" + help},
        {{"--min-size"}, prefix + "--min-size needs a size\n" + help},
        {{"--quiet", "--print", "tree"},
         prefix + "--quiet excludes --print tree\n" + help},
        {{"report", "traced.msgpack", "--top", "x"},
         prefix + "--top takes a number of rows (0: no top tables), not "
                  "'x'\n" + help},
    };
    for (const Case &c : cases) {
        Outcome run = Collect(c.args);
        EXPECT_EQ(run.status, 1) << c.args[0];
        EXPECT_EQ(run.err, c.err);
        EXPECT_EQ(run.out, "");
    }
    EXPECT_EQ(Made("memory_inventory_"), "");
}

TEST_F(CollectorMainTest, EmptyInput) {
    Outcome run = Collect({"--no-save"});
    EXPECT_EQ(run.status, 2);
    EXPECT_EQ(run.err, "memory-inventory-collector: incomplete recording: "
                       "the recording is empty\n");
    EXPECT_EQ(run.out, "The recording holds no inventory.\n"
                       "This report is INCOMPLETE: the recording is empty\n");
}

}  // namespace
