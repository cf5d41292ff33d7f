#include "platform/input_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "platform/input_error.h"

namespace pisim {

namespace {

std::string mib(std::uint64_t bytes) {
    std::ostringstream s;
    if (bytes % (1ull << 20) == 0) s << (bytes >> 20) << " MiB";
    else s << bytes << " bytes";
    return s.str();
}

}  // namespace

void check_input_size(const std::string& path, std::uint64_t max_bytes, const char* what) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        throw InputError(path, 0, 0, std::string("cannot read the ") + what + " file: " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) throw InputError(path, 0, 0, std::string("the ") + what + " must be a regular file");
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size > max_bytes)
        throw InputError(path, 0, 0,
                         std::string("the ") + what + " file is " + std::to_string(size) + " bytes, more than the " +
                             mib(max_bytes) + " cap on " + what + " files");
}

std::string read_input_file(const std::string& path, std::uint64_t max_bytes, const char* what) {
    check_input_size(path, max_bytes, what);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path, 0, 0, std::string("cannot read the ") + what + " file");
    std::string text;
    char buf[1 << 16];
    // The file may grow between stat and read: never read past the cap.
    while (in.read(buf, sizeof buf) || in.gcount()) {
        text.append(buf, static_cast<std::size_t>(in.gcount()));
        if (text.size() > max_bytes)
            throw InputError(path, 0, 0, std::string("the ") + what + " file grew past the " + mib(max_bytes) + " cap while read");
    }
    return text;
}

}  // namespace pisim
