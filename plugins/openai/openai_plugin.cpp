#include "openai.hpp"

SWITCHBOARD_EXPORT_PROVIDER(switchboard::openai::Provider)
