#include "platform/core_identity.h"

#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <libelf.h>
#include <unistd.h>

#include <fmt/format.h>

namespace pisim {

namespace {
std::string build_id_of(const std::string& file) {
    elf_version(EV_CURRENT);
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    std::string out;
    if (Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr)) {
        const void* id = nullptr;
        const ssize_t n = dwelf_elf_gnu_build_id(elf, &id);
        for (ssize_t i = 0; i < n; ++i) out += fmt::format("{:02x}", static_cast<const unsigned char*>(id)[i]);
        elf_end(elf);
    }
    ::close(fd);
    return out;
}
}  // namespace

std::string CoreIdentity::describe() const {
    const std::string id = build_id.empty() ? "no build id" : "build id " + build_id;
    return path == "built-in" ? fmt::format("built-in (pisim {})", id) : fmt::format("{} ({})", path, id);
}

CoreIdentity core_identity(const std::string& hyp_path) {
    if (hyp_path.empty()) return {"built-in", build_id_of("/proc/self/exe")};
    return {hyp_path, build_id_of(hyp_path)};
}

}  // namespace pisim
