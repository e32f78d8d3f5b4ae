#include "mistral.hpp"

SWITCHBOARD_EXPORT_PROVIDER(switchboard::mistral::Provider)
