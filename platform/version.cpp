#include "platform/version.h"

#include "pisim_version.h"  // generated: PISIM_VERSION_STRING

namespace pisim {
const char* const kVersion = PISIM_VERSION_STRING;
}  // namespace pisim
