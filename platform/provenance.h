// platform/provenance.h - what produced a scenario file or a result: the
// pisim version and the hypervisor core (path and GNU build ID), so that a
// failure found with one core is replayed with that core, or not without a
// warning.
//
// Every scenario file pisim writes (a sweep's point-N.yaml and
// point-N-min.yaml, an exploration's failure-ORACLE-SEED.yaml) carries it
// twice: as `# pisim: ...` comment lines at the top, for the reader, and as a
// top-level `provenance:` mapping (docs/scenario-format.md), for the loader:
//
//   provenance:
//     pisim: "0.1.0+451dba2c07e1"
//     core: {path: "build/libhyp.so", build_id: "5f1c...e2"}
//     seed: 1
//     found_by: "pisim sweep scenarios/x.yaml --vary events.0.at=0:9000:1000"
//
// results.json, `pisim check --json` and the trace header carry the same as
// JSON: "pisim": VERSION, "core": {"path": ..., "build_id": ...}.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "platform/core_identity.h"

namespace pisim {

struct Provenance {
    std::string pisim;                 ///< kVersion of the pisim that wrote it
    CoreIdentity core;                 ///< path ("built-in" or a --hyp file) and build ID (hex, may be empty)
    std::optional<std::uint64_t> seed; ///< the scenario seed the run used
    std::string found_by;              ///< the command that produced the file (may be empty)
    int line = 0, column = 0;          ///< where a loaded `provenance:` key was (1-based), for messages
};

/// This pisim and the core `hyp_path` names (empty: the built-in core).
Provenance current_provenance(const std::string& hyp_path);

/// The `provenance:` mapping as YAML text (a top-level block key, ending in a
/// newline); strings double-quoted.
std::string provenance_yaml(const Provenance& p);

/// `run` with `seed` set to the seed of the scenario in `yaml` (1, the
/// loader's default, when it names none).
Provenance with_scenario_seed(Provenance run, const std::string& yaml);

/// `# pisim: ...` comment lines: who wrote the file, and the replay command
/// (`pisim run THIS_FILE [--hyp PATH]`).
std::string provenance_comment(const Provenance& p);

/// Append the provenance mapping to a scenario's YAML text whose top level is
/// a block mapping without a `provenance:` key.
std::string with_provenance(const std::string& scenario_text, const Provenance& p);

/// True when `recorded` names another core than `now`: another build ID
/// when both have one, else another path.
bool other_core(const CoreIdentity& recorded, const CoreIdentity& now);

/// The warning `pisim run` prints when `file` was produced with another core
/// than `now`; empty when it was not (or records no provenance).
std::string provenance_warning(const std::string& file, const std::optional<Provenance>& recorded,
                               const CoreIdentity& now);

}  // namespace pisim
