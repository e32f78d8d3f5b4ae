#include "cohere.hpp"

SWITCHBOARD_EXPORT_PROVIDER(switchboard::cohere::Provider)
