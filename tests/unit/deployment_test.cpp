#define BOOST_TEST_MODULE deployment
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cmath>
#include <random>

#include "core/gateway/deployment_choice.hpp"
#include "core/gateway/deployment_cooldowns.hpp"

using namespace sb::core;
using namespace std::chrono_literals;
using Clock = DeploymentCooldowns::Clock;

namespace {

ModelAlias alias_of(std::vector<unsigned> weights) {
    ModelAlias alias;
    alias.name = "fast";
    alias.cooldown = 7s;
    for (std::size_t i = 0; i < weights.size(); ++i) {
        Deployment d;
        d.provider = "openai";
        d.model = "m";
        d.weight = weights[i];
        d.label = "d" + std::to_string(i);
        alias.deployments.push_back(d);
    }
    return alias;
}

}  // namespace

BOOST_AUTO_TEST_CASE(weighted_order_is_a_permutation) {
    std::mt19937_64 rng(1);
    for (int round = 0; round < 100; ++round) {
        auto order = weighted_order({5, 1, 3, 1}, rng);
        std::sort(order.begin(), order.end());
        BOOST_TEST((order == std::vector<std::size_t>{0, 1, 2, 3}));
    }
}

BOOST_AUTO_TEST_CASE(the_first_choice_follows_the_weights) {
    // 3:1:0-ish over 40,000 seeded draws: each share within 1.5 points of
    // its weight's (the standard error is about 0.2 points).
    std::mt19937_64 rng(20261207);
    const std::vector<unsigned> weights{3, 1, 4};
    std::vector<int> first(weights.size());
    const int draws = 40'000;
    for (int i = 0; i < draws; ++i) ++first[weighted_order(weights, rng).front()];
    for (std::size_t i = 0; i < weights.size(); ++i) {
        const double share = double(first[i]) / draws, expected = weights[i] / 8.0;
        BOOST_TEST(std::abs(share - expected) < 0.015,
                   "deployment " << i << " share " << share << " expected " << expected);
    }
}

BOOST_AUTO_TEST_CASE(the_second_choice_is_drawn_from_those_left) {
    // Weights 1, 1, 8: when the heavy one is not first, it is second
    // 8 times in 9.
    std::mt19937_64 rng(7);
    int heavy_not_first = 0, heavy_second = 0;
    for (int i = 0; i < 20'000; ++i) {
        auto order = weighted_order({1, 1, 8}, rng);
        if (order[0] == 2) continue;
        ++heavy_not_first;
        heavy_second += order[1] == 2;
    }
    BOOST_TEST(std::abs(double(heavy_second) / heavy_not_first - 8.0 / 9) < 0.02);
}

BOOST_AUTO_TEST_CASE(a_resting_deployment_is_left_out_while_another_serves) {
    ModelAlias alias = alias_of({100, 1});
    DeploymentCooldowns cooldowns;
    const auto now = Clock::now();
    cooldowns.cool_down(DeploymentCooldowns::key(alias, alias.deployments[0]), now, std::nullopt,
                        alias.cooldown);
    std::mt19937_64 rng(3);
    for (int i = 0; i < 50; ++i)
        BOOST_TEST(
            (deployment_order(alias, cooldowns, now + 1s, rng) == std::vector<std::size_t>{1}));
    // Taken back once its time has passed: first again, as its weight says.
    int first_heavy = 0;
    for (int i = 0; i < 50; ++i)
        first_heavy += deployment_order(alias, cooldowns, now + 8s, rng).front() == 0;
    BOOST_TEST(first_heavy >= 45);
}

BOOST_AUTO_TEST_CASE(when_every_deployment_rests_all_are_tried) {
    ModelAlias alias = alias_of({1, 1});
    DeploymentCooldowns cooldowns;
    const auto now = Clock::now();
    for (const auto &d : alias.deployments)
        cooldowns.cool_down(DeploymentCooldowns::key(alias, d), now, std::nullopt, alias.cooldown);
    std::mt19937_64 rng(3);
    BOOST_TEST(deployment_order(alias, cooldowns, now, rng).size() == 2u);
}

BOOST_AUTO_TEST_CASE(the_rest_honours_retry_after_and_defaults_to_the_alias_cooldown) {
    DeploymentCooldowns cooldowns;
    const auto now = Clock::now();
    BOOST_TEST(cooldowns.cool_down("a", now, std::chrono::milliseconds(2000), 7s).count() == 2000);
    BOOST_TEST(cooldowns.resting("a", now + 1999ms));
    BOOST_TEST(!cooldowns.resting("a", now + 2000ms));

    BOOST_TEST(cooldowns.cool_down("b", now, std::nullopt, 7s).count() == 7000);
    BOOST_TEST(cooldowns.resting("b", now + 6s));
    BOOST_TEST(!cooldowns.resting("b", now + 7s));

    // A vendor asking for a day rests the deployment for kMaxCooldown.
    BOOST_TEST(cooldowns.cool_down("c", now, std::chrono::milliseconds(86'400'000), 7s) ==
               std::chrono::milliseconds(kMaxCooldown));
    BOOST_TEST(!cooldowns.resting("c", now + kMaxCooldown));
    BOOST_TEST(!cooldowns.resting("unknown", now));
}

BOOST_AUTO_TEST_CASE(a_shorter_rest_never_ends_a_longer_one) {
    DeploymentCooldowns cooldowns;
    const auto now = Clock::now();
    cooldowns.cool_down("a", now, std::chrono::milliseconds(10'000), 7s);
    cooldowns.cool_down("a", now + 1s, std::chrono::milliseconds(0), 7s);
    BOOST_TEST(cooldowns.resting("a", now + 9s));
}

BOOST_AUTO_TEST_CASE(deployments_are_told_apart_by_alias_label_and_target) {
    ModelAlias a = alias_of({1, 1});
    ModelAlias b = alias_of({1});
    b.name = "other";
    BOOST_TEST(DeploymentCooldowns::key(a, a.deployments[0]) !=
               DeploymentCooldowns::key(a, a.deployments[1]));
    BOOST_TEST(DeploymentCooldowns::key(a, a.deployments[0]) !=
               DeploymentCooldowns::key(b, b.deployments[0]));
    Deployment moved = a.deployments[0];
    moved.api_base = "https://elsewhere.example.com/v1";
    BOOST_TEST(DeploymentCooldowns::key(a, a.deployments[0]) != DeploymentCooldowns::key(a, moved));
}
