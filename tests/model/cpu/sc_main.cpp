// libsystemc references sc_main; GoogleTest's main runs the tests instead, and
// each test elaborates its own machine and calls sc_start().
#include <systemc>

int sc_main(int, char*[]) { return 0; }
