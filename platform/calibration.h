// platform/calibration.h - calibration rows: a scenario that mirrors a
// published micro-benchmark, how pisim's value is measured from the run's
// event stream, and the published figure per timing profile
// (scenarios/calibration/, `pisim calibrate`).
//
// All figures are integer cycles; a ratio is kept in thousandths (permille).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/common/trace.h"
#include "platform/scenario.h"

namespace pisim {

/// A published figure for one CPU.
struct PublishedFigure {
    std::uint64_t cycles = 0;
    std::string cpu;
    std::string source;
};

/// The `calibration:` section of a scenario.
struct CalibrationSpec {
    enum class Method : std::uint8_t {
        Loop,          ///< mean cycles per iteration of `vcpu`'s program
        IpiHandshake,  ///< `vcpu`'s ICR write until `target`'s ISR ended and `vcpu` is back in the guest
        ExitHandling,  ///< mean root-mode time of exits of basic reason `reason`
        IrqLatency,    ///< mean device interrupt latency (MSI write to guest ISR begin)
    };
    std::string measure;
    Method method = Method::Loop;
    std::string method_name;
    int vcpu = -1, target = -1;  ///< global vCPU ids
    std::uint32_t reason = 0;
    std::string mirrors;
    std::map<std::string, PublishedFigure> published;  ///< by profile name
    std::map<std::string, std::string> known_gap;      ///< by profile name
};

/// Reads the `calibration:` section of the scenario file `s.file` (which
/// load_scenario accepted); InputError (file, line, column) when it is
/// missing or malformed.
CalibrationSpec load_calibration(const Scenario& s);

/// Mean of a measure over its samples (rounded to the nearest cycle).
struct CalibrationValue {
    std::uint64_t cycles = 0;
    std::uint64_t samples = 0;
};

/// Follows the event stream of one run (EventHub::observer) and keeps what
/// the spec's method needs. `vm_exit` and `vm_entry` are the profile's
/// hardware transition costs (ExitHandling subtracts them).
class CalibrationProbe {
public:
    CalibrationProbe(const CalibrationSpec& spec, const Scenario& s, std::uint64_t vm_exit, std::uint64_t vm_entry);
    void on_event(const Event& e);
    /// The measure; nullopt (with why) when the run gave too few samples.
    std::optional<CalibrationValue> value(std::string& why) const;
    /// IrqLatency is taken from the run's report: the delivered interrupts' latencies.
    void add_latency(std::uint64_t cycles) { samples_.push_back(cycles); }

    /// Iterations dropped at the start (the first entry, cold state), and the
    /// fewest samples a value needs.
    static constexpr std::size_t kWarmup = 1, kMinSamples = 8;

private:
    const CalibrationSpec& spec_;
    std::uint64_t vm_exit_, vm_entry_;
    int loop_op_ = -1;  ///< Loop: kind of the program's first op (one guest.op per iteration)
    std::vector<std::uint64_t> marks_;    ///< Loop: cycle of each iteration's first op
    std::vector<std::uint64_t> samples_;  ///< IpiHandshake, ExitHandling, IrqLatency

    // IpiHandshake: the open iteration
    std::optional<std::uint64_t> ipi_at_;
    std::optional<std::uint64_t> target_done_, sender_back_;
    // ExitHandling: per pCPU, the cycle its root mode began after an exit of `reason`
    std::map<std::uint32_t, std::uint64_t> exit_at_;
    std::size_t seen_ = 0;  ///< samples seen (warm-up included)
    void close_handshake();
};

/// ratio of `value` to `published` in thousandths, rounded to nearest.
std::uint64_t ratio_permille(std::uint64_t value, std::uint64_t published);
/// "1.04x" from a permille ratio (two decimals, rounded).
std::string format_ratio(std::uint64_t permille);
/// The band a row must fall in without a known gap: 0.75x to 1.33x.
constexpr std::uint64_t kBandLowPermille = 750, kBandHighPermille = 1330;

}  // namespace pisim
