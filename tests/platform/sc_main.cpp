// libsystemc references sc_main; the platform tests never elaborate.
#include <systemc>
extern "C" int sc_main(int, char**) { return 0; }
