// cli/commands.h - the pisim subcommands. Each returns the process exit code:
// 0 pass, 1 an expectation or invariant failed, 2 bad input (InputError).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pisim::cli {

struct SweepArgs {
    std::string scenario;
    std::vector<std::string> vary;  ///< PATH=START:END[:STEP]
    std::size_t random = 0;         ///< --random N
    std::uint64_t random_seed = 1;  ///< --seed S (of the exploration)
    unsigned jobs = 0;              ///< 0: one per core
    std::string out;                ///< --out DIR
    std::string shard;              ///< K/N
    std::string hyp;
    bool minimize = false;
};
int cmd_sweep(const SweepArgs& a);

struct MergeArgs {
    std::vector<std::string> dirs;
    std::string out;
};
int cmd_merge(const MergeArgs& a);

}  // namespace pisim::cli
