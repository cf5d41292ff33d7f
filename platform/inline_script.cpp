#include "platform/inline_script.h"

namespace pisim {

std::string script_safe(const std::string& s) {
    std::string out;
    out.reserve(s.size() + s.size() / 64);
    std::size_t from = 0;
    for (std::size_t at; (at = s.find("</", from)) != std::string::npos; from = at + 2) {
        out.append(s, from, at - from);
        out += "<\\/";
    }
    out.append(s, from, std::string::npos);
    return out;
}

}  // namespace pisim
