#include "custom.hpp"

SWITCHBOARD_EXPORT_PROVIDER(switchboard::custom::Provider)
