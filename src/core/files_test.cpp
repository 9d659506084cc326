#include "core/files.h"

#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "core/error.h"

namespace fs = std::filesystem;

namespace tonepoem {
namespace {

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tonepoem-files-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& name, const std::string& bytes) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  ExitCode code_of(const fs::path& p, std::string* message = nullptr) {
    try {
      (void)read_text_file(p);
    } catch (const Error& e) {
      if (message) *message = e.describe();
      return e.code();
    }
    return ExitCode::ok;
  }
  fs::path dir_;
};

TEST_F(FilesTest, StripsBomAndNormalisesLineEnds) {
  EXPECT_EQ(read_text_file(write("a.txt", "\xEF\xBB\xBFOne.\r\nTwo.\rThree.\n")),
            "One.\nTwo.\nThree.\n");
}

TEST_F(FilesTest, KeepsChineseText) {
  EXPECT_EQ(read_text_file(write("zh.txt", "小红很开心。")), "小红很开心。");
}

TEST_F(FilesTest, RejectsEmptyBlankBinaryAndInvalidUtf8NamingTheFile) {
  std::string message;
  EXPECT_EQ(code_of(write("empty.txt", ""), &message), ExitCode::bad_input);
  EXPECT_NE(message.find("empty.txt"), std::string::npos);
  EXPECT_NE(message.find("empty"), std::string::npos);
  EXPECT_EQ(code_of(write("blank.txt", " \n\t\n")), ExitCode::bad_input);
  EXPECT_EQ(code_of(write("bin.txt", std::string("ab\0cd", 5)), &message), ExitCode::bad_input);
  EXPECT_NE(message.find("binary"), std::string::npos);
  EXPECT_EQ(code_of(write("latin1.txt", "ok\nok\ncaf\xe9\n"), &message), ExitCode::bad_input);
  EXPECT_NE(message.find("line 3"), std::string::npos) << message;
  EXPECT_EQ(code_of(dir_ / "missing.txt", &message), ExitCode::bad_input);
  EXPECT_NE(message.find("missing.txt"), std::string::npos);
  EXPECT_EQ(code_of(dir_), ExitCode::bad_input);
}

TEST_F(FilesTest, RejectsFilesOverTheSizeLimit) {
  const fs::path p = write("big.txt", std::string(2048, 'a'));
  EXPECT_THROW((void)read_text_file(p, 1024), Error);
  EXPECT_NO_THROW((void)read_text_file(p, 4096));
}

TEST(Utf8, FindsTheFirstBadByte) {
  EXPECT_FALSE(find_invalid_utf8("plain ascii"));
  EXPECT_FALSE(find_invalid_utf8("中文 and émoji 🎵"));
  EXPECT_EQ(find_invalid_utf8("ab\xC0\xAF"), 2u);        // overlong '/'
  EXPECT_EQ(find_invalid_utf8("ab\xED\xA0\x80"), 2u);    // UTF-16 surrogate
  EXPECT_EQ(find_invalid_utf8("abc\xE4\xB8"), 3u);       // truncated at the end
  EXPECT_EQ(find_invalid_utf8("\xF5\x80\x80\x80"), 0u);  // past U+10FFFF
}

TEST_F(FilesTest, AtomicOutputAppearsOnlyOnCommit) {
  const fs::path final_path = dir_ / "out.bin";
  {
    AtomicOutput out(final_path);
    std::ofstream(out.temp_path()) << "partial";
    EXPECT_FALSE(fs::exists(final_path));
    // No commit: an error or Ctrl-C unwinding through here.
  }
  EXPECT_FALSE(fs::exists(final_path));
  EXPECT_TRUE(fs::is_empty(dir_)) << "the temporary was left behind";
  write_file_atomically(final_path, "whole");
  std::ifstream in(final_path);
  std::string content;
  in >> content;
  EXPECT_EQ(content, "whole");
}

TEST_F(FilesTest, WritableDirIsCreatedAndAFileInPlaceOfAFolderIsAnOutputError) {
  EXPECT_NO_THROW(ensure_writable_dir(dir_ / "new" / "nested"));
  EXPECT_TRUE(fs::is_directory(dir_ / "new" / "nested"));
  const fs::path file = write("file", "x");
  try {
    ensure_writable_dir(file / "sub");
    FAIL() << "no error for a folder inside a file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::output);
    EXPECT_NE(e.describe().find("sub"), std::string::npos);
  }
}

TEST(DataDir, EnvironmentVariableComesFirst) {
  const char* old = std::getenv("TONEPOEM_DATA");
  const std::string saved = old ? old : "";
  ::setenv("TONEPOEM_DATA", "/some/where", 1);
  const auto candidates = data_dir_candidates();
  ASSERT_FALSE(candidates.empty());
  EXPECT_EQ(candidates.front(), fs::path("/some/where"));
  if (old)
    ::setenv("TONEPOEM_DATA", saved.c_str(), 1);
  else
    ::unsetenv("TONEPOEM_DATA");
}

// The error path, which the build tree cannot reach through find_data_dir() (build/data sits
// beside the test binary), with candidates given explicitly.
TEST_F(FilesTest, DataDirIsTheFirstCandidateHoldingTheWordLists) {
  const fs::path empty = dir_ / "empty", good = dir_ / "good", later = dir_ / "later";
  for (const fs::path& d : {empty, good, later}) fs::create_directories(d / "lexicons");
  write("good/lexicons/en-vader.tsv", "happy\t0.5\t\t\n");
  write("later/lexicons/en-vader.tsv", "happy\t0.5\t\t\n");
  EXPECT_EQ(find_data_dir({empty, good, later}), good);
}

TEST_F(FilesTest, MissingDataDirListsWhereItLookedAndHowToFixIt) {
  try {
    (void)find_data_dir({dir_ / "nowhere", dir_ / "neither"});
    FAIL() << "no error without any word lists";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::missing_resource);
    EXPECT_NE(e.describe().find("nowhere"), std::string::npos);
    EXPECT_NE(e.describe().find("neither"), std::string::npos);
    EXPECT_NE(e.describe().find("scripts/setup"), std::string::npos);
  }
}

}  // namespace
}  // namespace tonepoem
