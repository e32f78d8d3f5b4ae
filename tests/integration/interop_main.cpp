// Streams and plain chats through the daemon against vendor stand-ins served
// by HTTP servers no one here wrote: Python's http.server, Node's http, nginx.
#define BOOST_TEST_MODULE switchboard_integration_interop
#include <boost/test/unit_test.hpp>
