// libsystemc references sc_main; GoogleTest's main runs the tests instead, and
// each test elaborates its own machine and runs it for a bounded time.
#include <systemc>

int sc_main(int, char*[]) { return 0; }
