// Tests of native/collector/output_dir.{h,c}: directories created with
// mode 0700, reused when named, unique otherwise; files created 0600,
// never through a planted symbolic link.

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" {
#include "native/collector/output_dir.h"
}

namespace {

// A fresh directory under TEST_TMPDIR (or /tmp), removed afterwards.
class OutputDirTest : public ::testing::Test {
  protected:
    void SetUp() override {
        const char *base = std::getenv("TEST_TMPDIR");
        std::string pattern = std::string(base != nullptr ? base : "/tmp") +
                              "/collector_output_XXXXXX";
        std::vector<char> buffer(pattern.begin(), pattern.end());
        buffer.push_back('\0');
        ASSERT_NE(mkdtemp(buffer.data()), nullptr);
        root_ = buffer.data();
    }
    void TearDown() override {
        std::string command = "rm -rf '" + root_ + "'";
        ASSERT_EQ(std::system(command.c_str()), 0);
    }

    static mode_t Mode(const std::string &path) {
        struct stat st;
        EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
        return st.st_mode & 07777;
    }
    static std::string Read(const std::string &path) {
        std::ifstream in(path, std::ios::binary);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }
    static void Write(const mi_output_dir *dir, const char *name,
                      const char *text) {
        mi_output_file file;
        ASSERT_EQ(mi_output_file_open(dir, name, &file), 0)
            << name << ": " << std::strerror(errno);
        std::fputs(text, file.stream);
        ASSERT_EQ(mi_output_file_commit(&file), 0);
    }

    std::string root_;
};

TEST_F(OutputDirTest, NamedDirectoryIsCreatedWithItsParents) {
    std::string path = root_ + "/a/b//c/";
    mi_output_dir dir;
    char error[MI_OUTPUT_ERROR_SIZE];
    ASSERT_EQ(mi_output_dir_open(&dir, path.c_str(), error), 0) << error;
    EXPECT_EQ(Mode(root_ + "/a"), 0700u);
    EXPECT_EQ(Mode(root_ + "/a/b"), 0700u);
    EXPECT_EQ(Mode(root_ + "/a/b/c"), 0700u);
    char *real = realpath((root_ + "/a/b/c").c_str(), nullptr);
    EXPECT_STREQ(dir.path, real);
    std::free(real);
    Write(&dir, "report.txt", "one");
    EXPECT_EQ(Mode(root_ + "/a/b/c/report.txt"), 0600u);
    // Reused, and its files replaced.
    mi_output_dir again;
    ASSERT_EQ(mi_output_dir_open(&again, path.c_str(), error), 0) << error;
    Write(&again, "report.txt", "two");
    EXPECT_EQ(Read(root_ + "/a/b/c/report.txt"), "two");
    mi_output_dir_close(&again);
    mi_output_dir_close(&dir);
}

TEST_F(OutputDirTest, NamedPathThatIsAFileIsRefused) {
    std::string path = root_ + "/file";
    std::ofstream(path) << "x";
    mi_output_dir dir;
    char error[MI_OUTPUT_ERROR_SIZE];
    ASSERT_EQ(mi_output_dir_open(&dir, path.c_str(), error), -1);
    EXPECT_EQ(std::string(error),
              "cannot use " + path + ": it exists and is not a directory");
}

// In a named directory, a symbolic link where a file goes is replaced,
// not followed: its target keeps its content.
TEST_F(OutputDirTest, NamedDirectoryReplacesLinksWithoutFollowing) {
    std::string target = root_ + "/target";
    std::ofstream(target) << "precious";
    ASSERT_EQ(mkdir((root_ + "/out").c_str(), 0755), 0);
    ASSERT_EQ(symlink(target.c_str(), (root_ + "/out/report.json").c_str()),
              0);
    mi_output_dir dir;
    char error[MI_OUTPUT_ERROR_SIZE];
    ASSERT_EQ(mi_output_dir_open(&dir, (root_ + "/out").c_str(), error), 0);
    EXPECT_EQ(Mode(root_ + "/out"), 0755u);     // existing: left as it is
    Write(&dir, "report.json", "{}");
    EXPECT_EQ(Read(target), "precious");
    EXPECT_EQ(Read(root_ + "/out/report.json"), "{}");
    struct stat st;
    ASSERT_EQ(lstat((root_ + "/out/report.json").c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    mi_output_dir_close(&dir);
}

TEST_F(OutputDirTest, UniqueDirectoriesFromAPrefix) {
    std::string prefix = root_ + "/memory_inventory_";
    mi_output_dir one, two;
    char error[MI_OUTPUT_ERROR_SIZE];
    ASSERT_EQ(mi_output_dir_create_unique(&one, prefix.c_str(), error), 0)
        << error;
    ASSERT_EQ(mi_output_dir_create_unique(&two, prefix.c_str(), error), 0);
    EXPECT_STRNE(one.path, two.path);
    EXPECT_EQ(std::string(one.path).rfind(prefix, 0), 0u);
    EXPECT_EQ(std::strlen(one.path), prefix.size() + 6);
    EXPECT_EQ(Mode(one.path), 0700u);
    Write(&one, "report.txt", "x");
    EXPECT_EQ(Mode(std::string(one.path) + "/report.txt"), 0600u);
    // In a new directory, an existing name (or a link) is never reused.
    mi_output_file file;
    errno = 0;
    EXPECT_EQ(mi_output_file_open(&one, "report.txt", &file), -1);
    EXPECT_EQ(errno, EEXIST);
    ASSERT_EQ(symlink("/etc/passwd",
                      (std::string(one.path) + "/planted").c_str()), 0);
    EXPECT_EQ(mi_output_file_open(&one, "planted", &file), -1);
    mi_output_dir_close(&one);
    mi_output_dir_close(&two);
}

TEST_F(OutputDirTest, MissingParentOfAPrefixIsAnError) {
    std::string prefix = root_ + "/missing/p_";
    mi_output_dir dir;
    char error[MI_OUTPUT_ERROR_SIZE];
    ASSERT_EQ(mi_output_dir_create_unique(&dir, prefix.c_str(), error), -1);
    EXPECT_EQ(std::string(error), "cannot create a directory " + prefix +
                                      "XXXXXX: No such file or directory");
}

TEST_F(OutputDirTest, AbortRemovesTheFile) {
    mi_output_dir dir;
    char error[MI_OUTPUT_ERROR_SIZE];
    ASSERT_EQ(mi_output_dir_open(&dir, root_.c_str(), error), 0);
    mi_output_file file;
    ASSERT_EQ(mi_output_file_open(&dir, "half.json", &file), 0);
    std::fputs("{", file.stream);
    mi_output_file_abort(&file);
    EXPECT_NE(access((root_ + "/half.json").c_str(), F_OK), 0);
    // Nothing else left behind either (no temporary file).
    std::string command = "test -z \"$(ls -A '" + root_ + "')\"";
    EXPECT_EQ(std::system(command.c_str()), 0);
    mi_output_dir_close(&dir);
}

}  // namespace
