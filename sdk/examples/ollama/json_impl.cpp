// Boost.JSON compiled header-only, exactly once in this plugin. The SDK's
// version script keeps every one of its symbols local to the plugin, so it
// never clashes with the host's (or another plugin's) copy of Boost.JSON.
#include <boost/json/src.hpp>
