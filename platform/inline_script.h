// platform/inline_script.h - text placed inside an HTML <script> or <style>
// element (`pisim report` inlines the viewer and the trace this way).
#pragma once

#include <string>

namespace pisim {

/// `s` with every "</" written "<\/", so the text cannot end its element early
/// [HTML 13.1.2.6: a raw text element ends at "</" + its name]. In JSON and in
/// JavaScript strings "\/" reads as "/"; in CSS "\/" escapes "/". One pass:
/// linear in the size, whatever the number of occurrences.
std::string script_safe(const std::string& s);

}  // namespace pisim
