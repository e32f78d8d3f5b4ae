#define BOOST_TEST_MODULE config_store_backend
#include <boost/test/unit_test.hpp>
#include <memory>
#include <stdexcept>

#include "core/config/config_store.hpp"

using namespace sb::core;

namespace {

// A shared store in memory that another "daemon" can write behind the
// ConfigStore's back, and that can be made unreachable or corrupt.
struct SharedDocument {
    std::optional<StoredConfig> stored;
    bool reachable = true;
    bool corrupt = false;
    int saves = 0;
};

class FakeBackend final : public ConfigBackend {
public:
    explicit FakeBackend(SharedDocument &doc) : doc_(doc) {}
    std::optional<StoredConfig> load() override {
        if (!doc_.reachable) throw std::runtime_error("unreachable");
        if (doc_.corrupt) throw std::runtime_error("corrupt");
        return doc_.stored;
    }
    void save(const StoredConfig &config) override {
        if (!doc_.reachable) throw std::runtime_error("unreachable");
        doc_.stored = config;
        ++doc_.saves;
    }
    std::string_view kind() const noexcept override { return "fake"; }
    bool reachable() const noexcept override { return doc_.reachable; }
    bool shared() const noexcept override { return true; }

private:
    SharedDocument &doc_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(update_starts_from_what_another_daemon_stored) {
    SharedDocument doc;
    ConfigStore store(std::make_unique<FakeBackend>(doc));
    doc.stored = StoredConfig{};
    doc.stored->providers["openai"].api_key = "sk-from-the-other-daemon";
    store.update([](StoredConfig &c) { c.active_provider = "openai"; });
    BOOST_TEST(doc.stored->providers["openai"].api_key == "sk-from-the-other-daemon");
    BOOST_TEST(store.snapshot().active_provider == "openai");
    BOOST_TEST(store.snapshot().providers.count("openai") == 1u);
    BOOST_TEST(store.backend_kind() == "fake");
    BOOST_TEST(store.file().empty());
}

BOOST_AUTO_TEST_CASE(unreachable_at_start_serves_empty_then_catches_up) {
    SharedDocument doc;
    doc.stored = StoredConfig{};
    doc.stored->active_provider = "openai";
    doc.reachable = false;
    ConfigStore store(std::make_unique<FakeBackend>(doc));
    BOOST_TEST(store.snapshot().active_provider.empty());
    BOOST_TEST(!store.backend_reachable());
    BOOST_TEST(!store.reload());
    doc.reachable = true;
    BOOST_TEST(store.reload());
    BOOST_TEST(store.snapshot().active_provider == "openai");
}

BOOST_AUTO_TEST_CASE(unreachable_keeps_the_last_config_and_refuses_changes) {
    SharedDocument doc;
    ConfigStore store(std::make_unique<FakeBackend>(doc));
    store.update([](StoredConfig &c) { c.active_provider = "openai"; });
    doc.reachable = false;
    BOOST_TEST(!store.reload());
    BOOST_TEST(store.snapshot().active_provider == "openai");
    BOOST_CHECK_THROW(store.update([](StoredConfig &c) { c.active_provider = "anthropic"; }),
                      std::runtime_error);
    BOOST_TEST(store.snapshot().active_provider == "openai");
    BOOST_TEST(doc.saves == 1);
}

BOOST_AUTO_TEST_CASE(an_unreadable_document_at_start_is_fatal) {
    SharedDocument doc;
    doc.corrupt = true;
    BOOST_CHECK_THROW(ConfigStore(std::make_unique<FakeBackend>(doc)), std::runtime_error);
}
