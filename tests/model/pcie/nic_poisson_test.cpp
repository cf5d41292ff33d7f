// NicPoisson: Poisson traffic through the model is a function of the seed:
// the same seed gives the same event stream byte for byte, another seed a
// different one. SystemC elaborates once per process, so each run is a child.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "nic_bench.h"
#include "tests/model/sim_bound.h"

using namespace pisim;
using namespace pisim::test;

namespace {

/// Run a 2-queue Poisson NIC with `seed` in a child process; return its
/// events and received writes serialized.
std::string run_in_child(std::uint64_t seed) {
    int fd[2];
    if (pipe(fd) != 0) return "pipe failed";
    const pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        NicConfig cfg;
        cfg.seed = seed;
        cfg.device_index = 1;
        cfg.msix_vectors = 2;
        TrafficSpec p;
        p.kind = TrafficSpec::Kind::Poisson;
        p.interval = 5000;
        p.count = 300;
        cfg.queues.push_back(queue_on(0, p));
        cfg.queues.push_back(queue_on(1, p));
        cfg.moderation = 2000;
        NicBench b(cfg, NicTiming{40});
        for (std::uint32_t i = 0; i < 2; ++i) {
            b.nic->msix_program(i, 0xFEE00000ull, i);
            b.nic->msix_mask(i, false);
        }
        ::pisim::sc_start_bounded();
        std::string out;
        for (const auto& e : b.sink.events)
            out += std::to_string(e.cycle) + " " + std::to_string(static_cast<int>(e.kind)) + " " +
                   std::to_string(e.tag) + " " + std::to_string(e.a) + " " + std::to_string(e.b) +
                   " " + std::to_string(e.c) + " " + std::to_string(e.d) + "\n";
        for (const auto& r : b.target.log)
            out += "rx " + std::to_string(r.cycle) + " " + std::to_string(r.tag) + "\n";
        std::size_t off = 0;
        while (off < out.size()) {
            const ssize_t n = write(fd[1], out.data() + off, out.size() - off);
            if (n <= 0) _exit(2);
            off += static_cast<std::size_t>(n);
        }
        close(fd[1]);
        _exit(0);
    }
    close(fd[1]);
    std::string out;
    char buf[65536];
    ssize_t n;
    while ((n = read(fd[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "child failed";
    return out;
}

}  // namespace

TEST(NicPoisson, SameSeedSameTraceOtherSeedOtherTrace) {
    const std::string a1 = run_in_child(11), a2 = run_in_child(11), b = run_in_child(12);
    ASSERT_NE(a1, "child failed");
    EXPECT_GT(a1.size(), 1000u);
    EXPECT_EQ(a1, a2);
    EXPECT_NE(a1, b);
}

// The two queues of one NIC draw from independent streams: same spec, different arrivals.
TEST(NicPoisson, QueuesHaveIndependentStreams) {
    NicConfig cfg;
    cfg.seed = 5;
    TrafficSpec p;
    p.kind = TrafficSpec::Kind::Poisson;
    p.interval = 1000;
    p.count = 50;
    cfg.queues.push_back(queue_on(0, p));
    cfg.queues.push_back(queue_on(0, p));
    NicBench b(cfg, NicTiming{1});
    ::pisim::sc_start_bounded();
    std::vector<std::uint64_t> q0, q1;
    for (const auto& e : b.sink.of(EventKind::NicPacket)) (e.a == 0 ? q0 : q1).push_back(e.cycle);
    ASSERT_EQ(q0.size(), 50u);
    ASSERT_EQ(q1.size(), 50u);
    EXPECT_NE(q0, q1);
}
