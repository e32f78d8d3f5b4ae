#include "anthropic.hpp"

SWITCHBOARD_EXPORT_PROVIDER(switchboard::anthropic::Provider)
