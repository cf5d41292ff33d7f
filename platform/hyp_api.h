// platform/hyp_api.h - the hypervisor core's entry points as a table, so the
// built-in core (libhyp.a linked into pisim) and a core loaded from a shared
// object (--hyp FILE.so, docs/design.md, "The port") are driven the same way.
#pragma once

#include <memory>
#include <string>

#include <hyp/hyp.h>

namespace pisim {

struct HypApi {
    int (*init)(const hyp_config*);
    int (*domain_create)(uint32_t);
    int (*vcpu_create)(uint32_t, uint32_t, const hyp_vcpu_storage*);
    bool (*msi_message)(uint32_t, uint32_t, hyp_msi_msg*);
    void (*pcpu_main)(uint32_t);
    void (*do_irq)(uint8_t);
    /// Address range of the core's code, for attributing basic blocks.
    std::string origin;  ///< "built-in" or the shared object's path
};

/// The built-in core.
const HypApi& builtin_hyp();

/// A core loaded from a shared object; throws std::runtime_error naming the
/// file and the missing symbol.
class HypLibrary {
public:
    explicit HypLibrary(const std::string& path);
    ~HypLibrary();
    const HypApi& api() const { return api_; }

private:
    void* handle_ = nullptr;
    HypApi api_{};
};

/// Load the core at `path` now (it stays loaded, as every HypLibrary does), so
/// that a command running many simulations refuses a file that is not a core
/// before the first of them: InputError naming `option` (exit 2) with the
/// loader's reason. An empty path (the built-in core) is always fine.
void require_core(const std::string& path, const std::string& option);

}  // namespace pisim
