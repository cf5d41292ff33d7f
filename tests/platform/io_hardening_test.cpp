// Outputs that never clobber what is not theirs, sums of cycles that never
// wrap, and inputs that are never silently misread (issue 19, points 2, 4).
#include <gtest/gtest.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "model/common/cycle_math.h"
#include "platform/input_error.h"
#include "platform/output_file.h"
#include "platform/strict_int.h"
#include "platform/utf8.h"
#include "platform/yaml_util.h"

using namespace pisim;

namespace {

struct TempDir {
    std::string path;
    TempDir() {
        std::string t = "/tmp/pisim-io-test-XXXXXX";
        if (!::mkdtemp(t.data())) std::abort();
        path = t;
    }
    ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
    std::string operator/(const std::string& name) const { return path + "/" + name; }
    std::set<std::string> entries() const {
        std::set<std::string> out;
        DIR* d = ::opendir(path.c_str());
        while (const dirent* e = ::readdir(d))
            if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") out.insert(e->d_name);
        ::closedir(d);
        return out;
    }
};

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void spit(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

template <typename F>
std::string thrown(F f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(OutputFile, ReplacesARegularFileAndLeavesNoTemporary) {
    TempDir d;
    spit(d / "out.json", "old");
    write_file_atomic(d / "out.json", "new");
    EXPECT_EQ(slurp(d / "out.json"), "new");
    EXPECT_EQ(d.entries(), std::set<std::string>{"out.json"});
}

TEST(OutputFile, KeepsTheModeOfANewFileAt0666LessTheUmask) {
    TempDir d;
    const mode_t old = ::umask(022);
    write_file_atomic(d / "a", "x");
    ::umask(027);
    write_file_atomic(d / "b", "x");
    ::umask(old);
    struct stat st;
    ASSERT_EQ(::stat((d / "a").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0644u);
    ASSERT_EQ(::stat((d / "b").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST(OutputFile, RefusesASymlinkAFifoADirectoryAndADeviceAndLeavesThemAsTheyWere) {
    TempDir d;
    spit(d / "victim", "victim");
    ASSERT_EQ(::symlink((d / "victim").c_str(), (d / "link").c_str()), 0);
    ASSERT_EQ(::mkfifo((d / "fifo").c_str(), 0600), 0);
    ASSERT_EQ(::mkdir((d / "dir").c_str(), 0700), 0);
    EXPECT_NE(thrown([&] { write_file_atomic(d / "link", "x"); }).find("it is a symbolic link"), std::string::npos);
    EXPECT_NE(thrown([&] { write_file_atomic(d / "fifo", "x"); }).find("it is a FIFO"), std::string::npos);
    EXPECT_NE(thrown([&] { write_file_atomic(d / "dir", "x"); }).find("it is a directory"), std::string::npos);
    // A device node of /dev/null's numbers made here (root only): a build with
    // the bug replaces this copy, never the machine's /dev/null.
    const bool device = ::mknod((d / "null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0;
    if (device) {
        EXPECT_NE(thrown([&] { write_file_atomic(d / "null", "x"); }).find("cannot write " + (d / "null") + ": it is a character device"),
                  std::string::npos);
        EXPECT_NE(thrown([&] { check_output_file(d / "null", "--json"); })
                      .find("cannot write " + (d / "null") + " (--json): it is a character device"),
                  std::string::npos);
    }
    struct stat st;
    ASSERT_EQ(::lstat((d / "link").c_str(), &st), 0);
    EXPECT_TRUE(S_ISLNK(st.st_mode));
    ASSERT_EQ(::lstat((d / "fifo").c_str(), &st), 0);
    EXPECT_TRUE(S_ISFIFO(st.st_mode));
    if (device) {
        ASSERT_EQ(::lstat((d / "null").c_str(), &st), 0);
        EXPECT_TRUE(S_ISCHR(st.st_mode));
    }
    EXPECT_EQ(slurp(d / "victim"), "victim");
    std::set<std::string> want = {"victim", "link", "fifo", "dir"};
    if (device) want.insert("null");
    EXPECT_EQ(d.entries(), want) << "no temporary file left";
}

TEST(OutputFile, NeverOpensAFileOrLinkPlantedAtThePredictableTemporaryName) {
    TempDir d;
    spit(d / "victim", "victim");
    // The name the temporary file used to have (FILE.tmp.PID).
    const std::string planted = d / ("out.json.tmp." + std::to_string(::getpid()));
    ASSERT_EQ(::symlink((d / "victim").c_str(), planted.c_str()), 0);
    write_file_atomic(d / "out.json", "results");
    EXPECT_EQ(slurp(d / "victim"), "victim") << "the link's target was written through";
    struct stat st;
    ASSERT_EQ(::lstat((d / "out.json").c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(slurp(d / "out.json"), "results");
    ASSERT_EQ(::lstat(planted.c_str(), &st), 0);
    EXPECT_TRUE(S_ISLNK(st.st_mode)) << "the planted link is left alone";
}

TEST(OutputFile, ATargetThatTurnsIntoSomethingElseBeforeTheCommitIsNotReplaced) {
    TempDir d;
    AtomicFile f(d / "out");
    f.write("data");
    ASSERT_EQ(::mkfifo((d / "out").c_str(), 0600), 0);
    EXPECT_NE(thrown([&] { f.commit(); }).find("it is a FIFO"), std::string::npos);
    struct stat st;
    ASSERT_EQ(::lstat((d / "out").c_str(), &st), 0);
    EXPECT_TRUE(S_ISFIFO(st.st_mode));
    EXPECT_EQ(d.entries(), std::set<std::string>{"out"}) << "the temporary file is removed";
}

TEST(OutputFile, CheckOutputFileRefusesAMissingDirectoryBeforeAnythingIsWritten) {
    TempDir d;
    const std::string why = thrown([&] { check_output_file(d / "missing/x.json", "--json"); });
    EXPECT_EQ(why.rfind("cannot write " + (d / "missing/x.json") + " (--json): directory " + (d / "missing"), 0), 0u) << why;
    EXPECT_EQ(thrown([&] { check_output_file(d / "new.json", "--json"); }), "");
    EXPECT_NE(thrown([&] { check_output_file(d.path + "/", "--json"); }).find("names a directory"), std::string::npos);
    EXPECT_TRUE(d.entries().empty()) << "a check writes nothing";
}

TEST(OutputFile, CheckResultsDirRefusesAFileAndSpecialResultNames) {
    TempDir d;
    spit(d / "regular", "x");
    EXPECT_NE(thrown([&] { check_results_dir(d / "regular", "--out"); }).find("it is a regular file, not a directory"),
              std::string::npos);
    EXPECT_EQ(thrown([&] { check_results_dir(d / "new/deeper", "--out"); }), "") << "created when written";
    ASSERT_EQ(::mkdir((d / "out").c_str(), 0700), 0);
    ASSERT_EQ(::symlink("/etc/passwd", (d / "out/point-3.yaml").c_str()), 0);
    EXPECT_NE(thrown([&] { check_results_dir(d / "out", "--out"); }).find("point-3.yaml (--out): it is a symbolic link"),
              std::string::npos);
}

TEST(OutputFile, StaleResultsAreRemovedAndNothingElse) {
    TempDir d;
    for (const char* n : {"results.json", "results.tsv", "point-1.yaml", "point-7.yaml", "point-7-min.yaml",
                          "failure-lost_interrupt-00000000000000ff.yaml", "coverage.json", "notes.txt", "point-1.yml"})
        spit(d / n, "old");
    ASSERT_EQ(::symlink("/etc/passwd", (d / "point-9.yaml").c_str()), 0);
    EXPECT_EQ(remove_stale_results(d.path, {"results.json", "results.tsv", "point-1.yaml"}), 4u);
    EXPECT_EQ(d.entries(), (std::set<std::string>{"results.json", "results.tsv", "point-1.yaml", "notes.txt",
                                                  "point-1.yml", "point-9.yaml"}));
}

TEST(OutputSet, TwoOutputsNamingOneFileAreRefusedWhateverTheSpelling) {
    TempDir d;
    ASSERT_EQ(::mkdir((d / "sub").c_str(), 0700), 0);
    OutputSet a;
    a.output(d / "out", "--json");
    EXPECT_EQ(thrown([&] { a.output(d / "out", "--trace"); }),
              "cannot write " + (d / "out") + " (--trace): it is the file --json writes (" + (d / "out") + "); give another path");
    // Another spelling of the same directory, the file absent.
    EXPECT_NE(thrown([&] { a.output(d / "sub/../out", "--trace-rtl"); }).find("it is the file --json writes"), std::string::npos);
    EXPECT_NE(thrown([&] { a.output(d / "./out", "--trace-rtl"); }).find("it is the file --json writes"), std::string::npos);
    EXPECT_EQ(thrown([&] { a.output(d / "out2", "--trace"); }), "") << "another name is another file";
    // An existing file by a hard link: the same inode.
    spit(d / "x.vcd", "old");
    ASSERT_EQ(::link((d / "x.vcd").c_str(), (d / "sub/alias.vcd").c_str()), 0);
    OutputSet b;
    b.output(d / "x.vcd", "--perfetto");
    EXPECT_NE(thrown([&] { b.output(d / "sub/alias.vcd", "--vcd"); }).find("it is the file --perfetto writes"), std::string::npos);
    EXPECT_EQ(slurp(d / "x.vcd"), "old") << "a check writes nothing";
}

TEST(OutputSet, AnOutputNamingAnInputIsRefused) {
    TempDir d;
    spit(d / "s.yaml", "scenario");
    ASSERT_EQ(::symlink((d / "s.yaml").c_str(), (d / "link.yaml").c_str()), 0);
    OutputSet a;
    a.input(d / "link.yaml", "the scenario");  // read through a link: the file it leads to
    a.input(d / "absent.txt", "a traffic file");
    EXPECT_EQ(thrown([&] { a.output(d / "s.yaml", "--trace"); }),
              "cannot write " + (d / "s.yaml") + " (--trace): it is the scenario (" + (d / "link.yaml") +
                  "), which this command reads; give another path");
    EXPECT_EQ(thrown([&] { a.output(d / "absent.txt", "--json"); }), "") << "a missing input is the reader's to report";
    EXPECT_EQ(slurp(d / "s.yaml"), "scenario");
}

TEST(OutputSet, AResultsDirectoryHoldingAnInputUnderAResultsNameIsRefused) {
    TempDir d;
    ASSERT_EQ(::mkdir((d / "out").c_str(), 0700), 0);
    spit(d / "out/point-3.yaml", "a failing point of an earlier sweep");
    spit(d / "out/base.yaml", "another scenario");
    OutputSet a;
    a.input(d / "out/point-3.yaml", "the scenario");
    EXPECT_NE(thrown([&] { a.results_dir(d / "out/", "--out"); }).find("it holds the scenario (" + (d / "out/point-3.yaml")),
              std::string::npos);
    OutputSet b;
    b.input(d / "out/base.yaml", "the scenario");
    EXPECT_EQ(thrown([&] { b.results_dir(d / "out", "--out"); }), "") << "a name the results never take";
    EXPECT_EQ(thrown([&] { b.results_dir(d / "new", "--out"); }), "");
}

TEST(CycleMath, SaturatingAddReachesNoSmallNumber) {
    EXPECT_EQ(sat_add(1, 2), 3u);
    EXPECT_EQ(sat_add(~0ull, 0), ~0ull);
    EXPECT_EQ(sat_add(~0ull - 5, 5), ~0ull);
    EXPECT_EQ(sat_add(~0ull - 5, 6), ~0ull);
    EXPECT_EQ(sat_add(1000, ~0ull), ~0ull);
    EXPECT_EQ(sat_add(1ull << 63, 1ull << 63), ~0ull);
    static_assert(sat_add(~0ull, ~0ull) == ~0ull, "usable in constant expressions");
}

TEST(CycleMathDeathTest, CheckedAddStopsOnAWrap) {
    EXPECT_EQ(PISIM_CHECKED_ADD("test", 40, 2), 42u);
    EXPECT_DEATH((void)PISIM_CHECKED_ADD("test", ~0ull, 1), "test invariant failed");
}

TEST(StrictInt, TakesDecimal64BitIntegersAndNothingElse) {
    std::uint64_t v = 7;
    EXPECT_TRUE(parse_u64_strict("0", v));
    EXPECT_EQ(v, 0u);
    EXPECT_TRUE(parse_u64_strict("18446744073709551615", v));
    EXPECT_EQ(v, ~0ull);
    for (const char* bad : {"", "18446744073709551616", "99999999999999999999999", "-1", "+1", "010", "0x10", "1e6", "12abc",
                            " 1", "1 ", "1.5", "00"}) {
        v = 7;
        EXPECT_FALSE(parse_u64_strict(bad, v)) << bad;
        EXPECT_EQ(v, 7u) << bad;
    }
    std::uint64_t k = 0, n = 0;
    EXPECT_TRUE(parse_fraction_strict("3/8", k, n));
    EXPECT_EQ(k * 10 + n, 38u);
    for (const char* bad : {"3/8x", "-1/4", "3", "/8", "3/", "3//8", "1/99999999999999999999"})
        EXPECT_FALSE(parse_fraction_strict(bad, k, n)) << bad;
}

TEST(Utf8, FindsTheFirstIllFormedByteAndReplacesEveryOne) {
    EXPECT_EQ(utf8_invalid_at("plain"), std::string::npos);
    EXPECT_EQ(utf8_invalid_at("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), std::string::npos);
    EXPECT_EQ(utf8_invalid_at("ab\xFF"), 2u);
    EXPECT_EQ(utf8_invalid_at("a\xC0\xAF"), 1u) << "overlong";
    EXPECT_EQ(utf8_invalid_at("a\xED\xA0\x80"), 1u) << "surrogate";
    EXPECT_EQ(utf8_invalid_at("a\xF4\x90\x80\x80"), 1u) << "above U+10FFFF";
    EXPECT_EQ(utf8_invalid_at("a\xE2\x82"), 1u) << "truncated";
    EXPECT_EQ(utf8_sanitized("a\xFF" "b\xC3"), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
    EXPECT_EQ(utf8_invalid_at(utf8_sanitized("\x80\x81\xFE\xE2\x82x")), std::string::npos);
}

TEST(Utf8, JsonTextNeverThrowsNorEmitsAnInvalidByte) {
    nlohmann::json j = {{"name", std::string("bad \xFF\xFE name")}};
    EXPECT_THROW((void)j.dump(), nlohmann::json::type_error) << "what json_text guards against";
    const std::string text = json_text(j, 2);
    EXPECT_EQ(utf8_invalid_at(text), std::string::npos);
    EXPECT_NE(text.find("bad \xEF\xBF\xBD\xEF\xBF\xBD name"), std::string::npos) << text;
    EXPECT_EQ(nlohmann::json::parse(text)["name"], "bad \xEF\xBF\xBD\xEF\xBF\xBD name");
}

namespace {
InputError load_error(const std::string& text) {
    TempDir d;
    spit(d / "s.yaml", text);
    try {
        YamlReader(d / "s.yaml").load_file();
    } catch (const InputError& e) {
        return e;
    }
    return InputError("", -1, -1, "no error");
}
}  // namespace

TEST(YamlInput, ADuplicateKeyIsAnErrorAtTheSecondOne) {
    InputError e = load_error("a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\n");
    EXPECT_EQ(e.line, 5);
    EXPECT_EQ(e.column, 3);
    EXPECT_NE(e.message.find("duplicate key 'c' (first given on line 3)"), std::string::npos) << e.message;
    e = load_error("list:\n  - {x: 1, y: 2, x: 3}\n");
    EXPECT_EQ(e.line, 2);
    EXPECT_EQ(e.column, 18);
    // The same anchored mapping reached twice through aliases is no duplicate.
    EXPECT_EQ(load_error("a: &m {k: 1}\nb: *m\nc: [*m, *m]\n").line, -1);
}

TEST(YamlInput, ASecondDocumentIsAnError) {
    InputError e = load_error("a: 1\n---\nb: 2\n");
    EXPECT_EQ(e.line, 3);
    EXPECT_NE(e.message.find("a second YAML document"), std::string::npos) << e.message;
    EXPECT_EQ(load_error("a: 1\n...\n---\n").message.find("a second YAML document"), 0u);
    EXPECT_EQ(load_error("---\na: 1\n").line, -1) << "one document with its marker is fine";
}

TEST(YamlInput, InvalidUtf8IsAnErrorAtItsLineAndColumn) {
    InputError e = load_error("a: 1\nname: \"caf\xC3\xA9 \xFF\"\n");
    EXPECT_EQ(e.line, 2);
    EXPECT_EQ(e.column, 13) << "columns count characters";
    EXPECT_NE(e.message.find("invalid UTF-8 (byte 0xFF)"), std::string::npos) << e.message;
}

TEST(YamlInput, OnlyARegularFileIsRead) {
    InputError e("", 0, 0, "");
    try {
        YamlReader("/dev/zero").load_file();
    } catch (const InputError& x) {
        e = x;
    }
    EXPECT_NE(e.message.find("must be a regular file"), std::string::npos) << e.message;
}
