// Plugin operations through the real daemon: hot reload of the plugins dir
// (watch, SIGHUP, POST /api/backdoor/llm/plugins/reload), broken
// replacements, in-flight streams across a reload, ABI minor-version
// compatibility, and `switchboard plugin check`.
#define BOOST_TEST_MODULE switchboard_integration_plugin_ops
#include <boost/test/unit_test.hpp>
