#include "platform/data_dir.h"

#include <filesystem>
#include <system_error>

#ifndef PISIM_SOURCE_DIR
#define PISIM_SOURCE_DIR "."
#endif

namespace pisim {

std::string data_dir(const std::string& sub) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const fs::path installed = exe.parent_path().parent_path() / "share" / "pisim" / sub;
        if (fs::is_directory(installed, ec)) return installed.string();
    }
    return std::string(PISIM_SOURCE_DIR) + "/" + sub;
}

}  // namespace pisim
