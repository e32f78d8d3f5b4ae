// Boost.JSON, compiled header-only exactly once for every plugin that links
// the kit. The plugin version script keeps every symbol of it local.
#include <boost/json/src.hpp>
