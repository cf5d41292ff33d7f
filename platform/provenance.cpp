#include "platform/provenance.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "platform/version.h"

namespace pisim {

Provenance current_provenance(const std::string& hyp_path) {
    Provenance p;
    p.pisim = kVersion;
    p.core = core_identity(hyp_path);
    return p;
}

Provenance with_scenario_seed(Provenance run, const std::string& yaml) {
    run.seed = 1;
    try {
        const YAML::Node n = YAML::Load(yaml);
        if (n.IsMap() && n["seed"] && n["seed"].IsScalar()) run.seed = n["seed"].as<std::uint64_t>();
    } catch (const YAML::Exception&) {
    }
    return run;
}

std::string provenance_yaml(const Provenance& p) {
    YAML::Emitter e;
    e << YAML::BeginMap << YAML::Key << "provenance" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "pisim" << YAML::Value << YAML::DoubleQuoted << p.pisim;
    e << YAML::Key << "core" << YAML::Value << YAML::Flow << YAML::BeginMap;
    e << YAML::Key << "path" << YAML::Value << YAML::DoubleQuoted << p.core.path;
    e << YAML::Key << "build_id" << YAML::Value << YAML::DoubleQuoted << p.core.build_id;
    e << YAML::EndMap;
    if (p.seed) e << YAML::Key << "seed" << YAML::Value << *p.seed;
    if (!p.found_by.empty()) e << YAML::Key << "found_by" << YAML::Value << YAML::DoubleQuoted << p.found_by;
    e << YAML::EndMap << YAML::EndMap;
    return std::string(e.c_str()) + "\n";
}

std::string provenance_comment(const Provenance& p) {
    std::string out = fmt::format("# pisim: written by pisim {} running the core {}\n", p.pisim, p.core.describe());
    if (!p.found_by.empty()) out += fmt::format("# pisim: found by: {}\n", p.found_by);
    out += fmt::format("# pisim: replay: pisim run THIS_FILE{}\n",
                       p.core.path == "built-in" ? std::string() : " --hyp " + p.core.path);
    return out;
}

std::string with_provenance(const std::string& scenario_text, const Provenance& p) {
    std::string out = scenario_text;
    if (!out.empty() && out.back() != '\n') out += '\n';
    return out + provenance_yaml(p);
}

bool other_core(const CoreIdentity& recorded, const CoreIdentity& now) {
    if (!recorded.build_id.empty() && !now.build_id.empty()) return recorded.build_id != now.build_id;
    return recorded.path != now.path;
}

std::string provenance_warning(const std::string& file, const std::optional<Provenance>& recorded,
                               const CoreIdentity& now) {
    if (!recorded || !other_core(recorded->core, now)) return {};
    const bool rebuilt = recorded->core.path == "built-in" && now.path == "built-in";
    return fmt::format(
        "{}:{}:{}: warning: this file was produced by pisim {} with the core {}, but this run uses the core {}{}: "
        "a failure found there may not replay here{}",
        file, recorded->line, recorded->column, recorded->pisim, recorded->core.describe(), now.describe(),
        rebuilt ? " (pisim was rebuilt)" : "",
        recorded->core.path == "built-in" || rebuilt ? "" : " (give --hyp " + recorded->core.path + ")");
}

}  // namespace pisim
