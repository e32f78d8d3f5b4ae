#define BOOST_TEST_MODULE model_lifecycle
#include <boost/test/unit_test.hpp>

#include "core/plugin/model_lifecycle.hpp"

#include <switchboard/provider_abi.h>

#include <cstring>
#include <string>

using sb::core::ModelLifecycle;
using sb::core::ModelLifecycles;
using sb::core::ModelStatus;

namespace {

sb_str view(const char *s) { return sb_str{s, std::strlen(s)}; }

// A plugin table whose get_extension hands out `declared`.
const sb_model_lifecycle *declared = nullptr;
const void *extension(const char *id) {
    return std::strcmp(id, SB_EXT_MODEL_LIFECYCLE) == 0 ? declared : nullptr;
}
sb_plugin plugin_with_extension() {
    sb_plugin p{};
    p.struct_size = sizeof(sb_plugin);
    p.get_extension = &extension;
    return p;
}

}  // namespace

BOOST_AUTO_TEST_CASE(status_follows_the_dates) {
    ModelLifecycles table({{"old", "2026-01-01", "2026-06-01", "new", "https://x"},
                           {"fading", "2026-01-01", "", "new", "https://x"},
                           {"later", "2027-01-01", "2027-06-01", "new", "https://x"}});
    BOOST_TEST((table.status("old", "2026-05-31") == ModelStatus::deprecated));
    BOOST_TEST((table.status("old", "2026-06-01") == ModelStatus::retired));
    BOOST_TEST((table.status("fading", "2030-01-01") == ModelStatus::deprecated));
    BOOST_TEST((table.status("later", "2026-12-07") == ModelStatus::available));
    BOOST_TEST((table.status("new", "2026-12-07") == ModelStatus::available));
}

BOOST_AUTO_TEST_CASE(suggested_follows_successors_to_one_that_serves) {
    ModelLifecycles table({{"a", "2020-01-01", "2020-06-01", "b", ""},
                           {"b", "2021-01-01", "2021-06-01", "c", ""},
                           {"d", "2020-01-01", "", "", ""},
                           {"e", "2020-01-01", "2020-06-01", "", ""},
                           {"loop1", "2020-01-01", "2020-06-01", "loop2", ""},
                           {"loop2", "2020-01-01", "2020-06-01", "loop1", ""}});
    BOOST_TEST(table.suggested("a", "2026-12-07") == "c");
    BOOST_TEST(table.suggested("c", "2026-12-07") == "c");
    BOOST_TEST(table.suggested("d", "2026-12-07") == "d");  // deprecated, nothing better: still serves
    BOOST_TEST(table.suggested("e", "2026-12-07") == "");   // retired, no successor
    BOOST_TEST(table.suggested("loop1", "2026-12-07") == "");
}

BOOST_AUTO_TEST_CASE(a_declared_table_is_read_by_its_sizes_and_checked) {
    // Entries from a newer plugin are larger: the host steps by entry_size.
    struct NewerEntry {
        sb_model_lifecycle_entry known;
        int appended_field;
    };
    NewerEntry entries[3] = {
        {{sizeof(NewerEntry), view("m1"), view("2026-01-01"), view("2026-02-01"), view("m2"), view("https://v")}, 7},
        {{sizeof(NewerEntry), view("m3"), view("soon"), view("2026-13-xx"), view(""), view("")}, 7},
        {{4, view("ignored"), view(""), view(""), view(""), view("")}, 7},  // struct_size too small
    };
    sb_model_lifecycle table{sizeof(sb_model_lifecycle), &entries[0].known, 3, sizeof(NewerEntry)};
    declared = &table;
    const auto read = sb::core::read_model_lifecycle(plugin_with_extension());
    BOOST_REQUIRE_EQUAL(read.size(), 2u);
    BOOST_TEST(read[0].model == "m1");
    BOOST_TEST(read[0].retired_on == "2026-02-01");
    BOOST_TEST(read[0].successor == "m2");
    BOOST_TEST(read[1].model == "m3");
    BOOST_TEST(read[1].deprecated_on.empty());  // not a date: dropped
    BOOST_TEST(read[1].retired_on.empty());

    sb_model_lifecycle too_small{sizeof(sb_model_lifecycle), &entries[0].known, 3, 8};
    declared = &too_small;
    BOOST_TEST(sb::core::read_model_lifecycle(plugin_with_extension()).empty());
    declared = nullptr;
    BOOST_TEST(sb::core::read_model_lifecycle(plugin_with_extension()).empty());
}

BOOST_AUTO_TEST_CASE(today_is_a_date) {
    const std::string today = sb::core::utc_today();
    BOOST_TEST(today.size() == 10u);
    BOOST_TEST(today[4] == '-');
    BOOST_TEST(today >= "2026-01-01");
}
