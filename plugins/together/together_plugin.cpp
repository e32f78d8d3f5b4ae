#include "together.hpp"

SWITCHBOARD_EXPORT_PROVIDER(switchboard::together::Provider)
