// Boost.JSON compiled header-only (and so instrumented) for the harnesses that
// do not link the plugin kit.
#include <boost/json/src.hpp>
