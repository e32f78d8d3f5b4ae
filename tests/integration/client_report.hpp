#pragma once
// What a real npm client saw, as its driver script (run.mjs) reports it in
// one line of JSON: the tests that run the official clients read it with
// these (show, number_at, same_json are in client_output.hpp). Header-only: each such test includes it next to the fixture.
#include "integration/client_output.hpp"
#include "integration/integration_fixture.hpp"
#include "support/node_runner.hpp"

#include <boost/test/unit_test.hpp>

namespace sb::test::it::report {

// The script's JSON line; the test fails (not skips) on a timeout, a
// non-zero exit or output that is not one JSON object. what: the case, for
// the messages; daemon_log: shown when the script was killed.
inline json::value parse_client_output(const NodeResult &r, const std::string &what, const std::string &daemon_log) {
    BOOST_TEST_MESSAGE(what << ": exit " << r.exit_code << "\n" << r.out << r.err);
    BOOST_REQUIRE_MESSAGE(!r.timed_out, what << ": run.mjs timed out (killed)\nstdout: " << r.out
                                             << "\nstderr: " << r.err << "\ndaemon log:\n"
                                             << daemon_log);
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0,
                          what << ": run.mjs exited " << r.exit_code << "\nstderr: " << r.err << "\nstdout: " << r.out);
    json::value doc;
    try {
        doc = parse_json(r.out);
    } catch (const std::exception &e) {
        BOOST_FAIL(what << ": run.mjs printed no JSON (" << e.what() << "): " << r.out);
    }
    BOOST_REQUIRE_MESSAGE(doc.is_object(), "run.mjs printed " << r.out);
    return doc;
}

}  // namespace sb::test::it::report
