#include "platform/crash_report.h"

#include <elfutils/libdwfl.h>
#include <execinfo.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cxxabi.h>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <vector>

#include "platform/machine.h"

namespace pisim {

namespace {

constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
struct sigaction g_previous[NSIG];
CrashReportConfig* g_cfg = nullptr;
std::string* g_core_file = nullptr;  ///< realpath of a --hyp core
std::atomic<bool> g_entered{false};

const char* signal_name(int sig) {
    switch (sig) {
        case SIGSEGV: return "SIGSEGV (invalid memory access)";
        case SIGBUS: return "SIGBUS (bus error)";
        case SIGILL: return "SIGILL (illegal instruction)";
        case SIGFPE: return "SIGFPE (arithmetic fault)";
        case SIGABRT: return "SIGABRT (abort)";
    }
    return "a fatal signal";
}

void say(const std::string& s) {
    for (std::size_t off = 0; off < s.size();) {
        const ssize_t w = ::write(STDERR_FILENO, s.data() + off, s.size() - off);
        if (w <= 0) return;
        off += static_cast<std::size_t>(w);
    }
}

/// The process's modules and symbols (libdwfl, as HypProfile::function_cycles).
class Symbolizer {
public:
    Symbolizer() {
        static char* debuginfo_path = nullptr;
        static const Dwfl_Callbacks cb = {dwfl_linux_proc_find_elf, dwfl_standard_find_debuginfo, nullptr,
                                          &debuginfo_path};
        d_ = dwfl_begin(&cb);
        if (d_ && (dwfl_linux_proc_report(d_, ::getpid()) != 0 || dwfl_report_end(d_, nullptr, nullptr) != 0)) {
            dwfl_end(d_);
            d_ = nullptr;
        }
    }
    ~Symbolizer() {
        if (d_) dwfl_end(d_);
    }

    /// True when `addr` is code of the hypervisor core: in the --hyp object,
    /// or, for the built-in core, compiled from hyp/src/ (no other part of
    /// pisim is: the platform includes only hyp/include/).
    bool in_core(std::uintptr_t addr) const {
        Dwfl_Module* m = d_ ? dwfl_addrmodule(d_, addr) : nullptr;
        if (!m) return false;
        if (g_core_file) {
            // A module's name is the path it is mapped from (/proc/PID/maps).
            const char* main = dwfl_module_info(m, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
            if (!main) return false;
            char real[PATH_MAX];
            return ::realpath(main, real) && *g_core_file == real;
        }
        Dwfl_Line* line = dwfl_module_getsrc(m, addr);
        const char* file = line ? dwfl_lineinfo(line, nullptr, nullptr, nullptr, nullptr, nullptr) : nullptr;
        // hyp/src/... relative to the repository when the build maps source
        // paths (-ffile-prefix-map), or the absolute path of the checkout.
        return file && (std::strncmp(file, "hyp/src/", 8) == 0 || std::strstr(file, "/hyp/src/") != nullptr);
    }

    /// True when `addr` is in the C library (abort, raise).
    bool in_libc(std::uintptr_t addr) const {
        Dwfl_Module* m = d_ ? dwfl_addrmodule(d_, addr) : nullptr;
        const char* name = m ? dwfl_module_info(m, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr) : nullptr;
        return name && std::strstr(name, "/libc.so");
    }

    /// True when `addr` is in the same function as `fn` (the handler itself).
    bool in_this(std::uintptr_t addr, std::uintptr_t fn) const {
        Dwfl_Module* m = d_ ? dwfl_addrmodule(d_, addr) : nullptr;
        GElf_Off off = 0;
        GElf_Sym sym;
        return m && dwfl_module_addrinfo(m, addr, &off, &sym, nullptr, nullptr, nullptr) && addr - off == fn;
    }

    /// "function+0xoffset", or "?" without a symbol.
    std::string name(std::uintptr_t addr) const {
        Dwfl_Module* m = d_ ? dwfl_addrmodule(d_, addr) : nullptr;
        GElf_Off off = 0;
        GElf_Sym sym;
        const char* n = m ? dwfl_module_addrinfo(m, addr, &off, &sym, nullptr, nullptr, nullptr) : nullptr;
        if (!n) return "?";
        int status = -1;
        char* plain = n[0] == '_' && n[1] == 'Z' ? abi::__cxa_demangle(n, nullptr, nullptr, &status) : nullptr;
        std::string out = fmt::format("{}+{:#x}", status == 0 && plain ? plain : n, off);
        std::free(plain);
        return out;
    }

private:
    Dwfl* d_ = nullptr;
};

void restore_previous(int sig) { ::sigaction(sig, &g_previous[sig], nullptr); }

void on_fatal(int sig, siginfo_t* info, void* uc_) {
    if (g_entered.exchange(true)) {  // a fault inside the report itself
        restore_previous(sig);
        return;
    }
    const auto* uc = static_cast<const ucontext_t*>(uc_);
    const auto pc = static_cast<std::uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
    std::uintptr_t hit = 0;
    {
        Symbolizer sym;
        // The stack from the interrupted instruction outwards (return
        // addresses minus one: inside their call).
        void* frames[64];
        const int n = ::backtrace(frames, 64);
        int first = 0;
        while (first < n && reinterpret_cast<std::uintptr_t>(frames[first]) != pc) ++first;
        if (first == n) first = 0;
        std::vector<std::uintptr_t> stack;
        for (int i = first; i < n; ++i)
            stack.push_back(reinterpret_cast<std::uintptr_t>(frames[i]) - (i == first && first != 0 ? 0 : 1));
        if (sym.in_core(pc)) {
            hit = pc;
        } else if (sig == SIGABRT) {
            // abort() called by the core: the first caller outside the C
            // library (abort, raise) is the core's.
            for (std::uintptr_t a : stack) {
                if (sym.in_libc(a) || sym.in_this(a, reinterpret_cast<std::uintptr_t>(&on_fatal))) continue;
                if (sym.in_core(a)) hit = a;
                break;
            }
        }
        if (!hit) {
            // pisim's own fault, perhaps in a port call the core made: say
            // so, then the previous action (default: a core dump) when the
            // instruction runs again or abort() raises once more.
            for (std::uintptr_t a : stack)
                if (sym.in_core(a)) {
                    say(fmt::format("pisim: {} in pisim's {}, called by the hypervisor core's {}\n", signal_name(sig),
                                    sym.name(pc), sym.name(a)));
                    break;
                }
            for (int s : kSignals) restore_previous(s);
            return;
        }
        std::string where = "outside any pCPU's software (boot, or a call from the platform)";
        std::uint64_t cycle = 0;
        if (Machine* m = Machine::instance()) {
            cycle = m->cycle_now();
            if (m->current) where = fmt::format("on pCPU {}", m->current->index);
        }
        std::string msg = g_core_file ? fmt::format("pisim: the hypervisor core {} crashed: {}", g_cfg->core, signal_name(sig))
                                      : fmt::format("pisim: the built-in hypervisor core crashed: {}", signal_name(sig));
        if (sig == SIGSEGV || sig == SIGBUS) msg += fmt::format(" at address {}", info->si_addr);
        msg += fmt::format(" in {} {} at cycle {}", sym.name(hit), where, cycle);
        if (g_cfg->report) g_cfg->report(msg, cycle);
        else say(msg + "\n");
    }
    try {
        const std::string trace = g_cfg->finish_trace ? g_cfg->finish_trace() : std::string();
        if (!trace.empty()) say("pisim: the trace up to the crash is in " + trace + " (marked truncated)\n");
    } catch (const std::exception& e) {
        say(std::string("pisim: the trace could not be finished: ") + e.what() + "\n");
    }
    ::_exit(kExitCoreCrashed);
}

}  // namespace

void prime_crash_report() {
    void* prime[2];
    ::backtrace(prime, 2);
}

void install_crash_report(CrashReportConfig cfg) {
    g_cfg = new CrashReportConfig(std::move(cfg));
    if (g_cfg->core != "built-in") {
        char real[PATH_MAX];
        g_core_file = new std::string(::realpath(g_cfg->core.c_str(), real) ? real : g_cfg->core.c_str());
    }
    // backtrace() loads its unwinder on first use: not in the handler.
    void* prime[2];
    ::backtrace(prime, 2);
    // The fault may be a stack overflow on a SystemC thread's stack.
    constexpr std::size_t kAltStack = 1 << 20;
    void* stack = ::mmap(nullptr, kAltStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (stack != MAP_FAILED) {
        stack_t ss{};
        ss.ss_sp = stack;
        ss.ss_size = kAltStack;
        ::sigaltstack(&ss, nullptr);
    }
    struct sigaction sa {};
    sa.sa_sigaction = on_fatal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (int s : kSignals) ::sigaction(s, &sa, &g_previous[s]);
}

}  // namespace pisim
