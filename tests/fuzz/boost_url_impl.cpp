// Boost.URL compiled from source (and so instrumented) for the harnesses
// that parse URLs.
#include <boost/url/src.hpp>
