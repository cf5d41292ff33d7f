// platform/core_identity.h - which hypervisor core produced a result: its
// path and its GNU build ID (the ELF note NT_GNU_BUILD_ID, read with
// elfutils' dwelf_elf_gnu_build_id), so a failure found with one core is not
// replayed against another without notice.
#pragma once

#include <string>

namespace pisim {

struct CoreIdentity {
    std::string path;      ///< the --hyp file, or "built-in"
    std::string build_id;  ///< hex; empty when the file has no build ID note
    /// "built-in (pisim build id ...)" or "PATH (build id ...)".
    std::string describe() const;
};

/// The core a run with `hyp_path` uses: that shared object, or (empty path)
/// the core linked into this executable, identified by the executable's
/// build ID.
CoreIdentity core_identity(const std::string& hyp_path);

}  // namespace pisim
