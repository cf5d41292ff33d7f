// bench/sc_limits.cpp - the raw SystemC floor on this machine: what the kernel
// itself costs for the two things every simulated interrupt needs
// (docs/design.md, "Time").
//
//   round_trip: thread A notifies event ea (delta), thread B waiting on it
//               wakes and notifies eb, A wakes: two process activations and
//               two context switches per round trip.
//   timed_wait: one thread calling wait(1 cycle) in a loop: one activation,
//               one timed-queue insertion and one time advance per call.
//
// Prints one JSON object with integer nanoseconds per operation (wall clock;
// this is a benchmark, not part of a simulation). Usage: sc_limits [N]
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <systemc>

namespace {

std::uint64_t g_n = 1000000;
std::uint64_t g_round_trip_ns = 0;  // total wall ns for g_n round trips
std::uint64_t g_timed_wait_ns = 0;  // total wall ns for g_n timed waits

std::uint64_t wall_ns() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
}

struct PingPong : sc_core::sc_module {
    sc_core::sc_event ping, pong;
    SC_HAS_PROCESS(PingPong);
    explicit PingPong(sc_core::sc_module_name n) : sc_module(n) {
        SC_THREAD(a);
        SC_THREAD(b);
        SC_THREAD(timed);
    }
    void a() {
        wait(sc_core::SC_ZERO_TIME);  // let b reach its first wait
        const std::uint64_t t0 = wall_ns();
        for (std::uint64_t i = 0; i < g_n; ++i) {
            ping.notify();
            wait(pong);
        }
        g_round_trip_ns = wall_ns() - t0;
    }
    void b() {
        for (;;) {
            wait(ping);
            pong.notify();
        }
    }
    // Starts after the round trips are done (they take no simulated time).
    void timed() {
        wait(1, sc_core::SC_PS);
        const std::uint64_t t0 = wall_ns();
        for (std::uint64_t i = 0; i < g_n; ++i) wait(1, sc_core::SC_PS);
        g_timed_wait_ns = wall_ns() - t0;
    }
};

}  // namespace

int sc_main(int argc, char** argv) {
    if (argc > 1) g_n = std::strtoull(argv[1], nullptr, 10);
    if (g_n == 0) g_n = 1;
    PingPong p("p");
    sc_core::sc_start();
    std::printf("{\"iterations\": %llu, \"round_trip_ns\": %llu, \"timed_wait_ns\": %llu, "
                "\"round_trip_ns_milli\": %llu, \"timed_wait_ns_milli\": %llu}\n",
                static_cast<unsigned long long>(g_n),
                static_cast<unsigned long long>(g_round_trip_ns / g_n),
                static_cast<unsigned long long>(g_timed_wait_ns / g_n),
                static_cast<unsigned long long>(g_round_trip_ns * 1000 / g_n),
                static_cast<unsigned long long>(g_timed_wait_ns * 1000 / g_n));
    return 0;
}
