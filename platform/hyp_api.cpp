#include "platform/hyp_api.h"

#include <dlfcn.h>

#include <stdexcept>

#include "platform/input_error.h"

namespace pisim {

const HypApi& builtin_hyp() {
    static const HypApi api = {hyp_init,      hyp_domain_create,
                               hyp_vcpu_create, hyp_msi_message,
                               [](uint32_t cpu) { hyp_pcpu_main(cpu); },
                               hyp_do_irq,    "built-in"};
    return api;
}

HypLibrary::HypLibrary(const std::string& path) {
    // RTLD_LOCAL: the loaded core's own symbols do not replace the built-in
    // core's. pisim exports only the port (cli/CMakeLists.txt), so the
    // core's port calls bind to pisim and its references to its own
    // functions and data to itself, without RTLD_DEEPBIND (which the
    // sanitizers' runtimes refuse).
    handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) throw std::runtime_error("cannot load hypervisor core '" + path + "': " + dlerror());
    auto sym = [&](const char* name) {
        void* p = dlsym(handle_, name);
        if (!p)
            throw std::runtime_error("hypervisor core '" + path + "' lacks the entry point " + name);
        return p;
    };
    api_.init = reinterpret_cast<int (*)(const hyp_config*)>(sym("hyp_init"));
    api_.domain_create = reinterpret_cast<int (*)(uint32_t)>(sym("hyp_domain_create"));
    api_.vcpu_create =
        reinterpret_cast<int (*)(uint32_t, uint32_t, const hyp_vcpu_storage*)>(sym("hyp_vcpu_create"));
    api_.msi_message =
        reinterpret_cast<bool (*)(uint32_t, uint32_t, hyp_msi_msg*)>(sym("hyp_msi_message"));
    api_.pcpu_main = reinterpret_cast<void (*)(uint32_t)>(sym("hyp_pcpu_main"));
    api_.do_irq = reinterpret_cast<void (*)(uint8_t)>(sym("hyp_do_irq"));
    api_.origin = path;
}

void require_core(const std::string& path, const std::string& option) {
    if (path.empty()) return;
    try {
        HypLibrary lib(path);
    } catch (const std::runtime_error& e) {
        throw InputError(option, 0, 0, e.what());
    }
}

HypLibrary::~HypLibrary() {
    // The core's code may still be on a SystemC thread's stack at exit; keep it mapped.
}

}  // namespace pisim
