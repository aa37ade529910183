// Result<T>, Error and fail(): defined in the public header so that libvelocity's API and
// the internal code share one error type (Error::message is implemented in result.cpp).
#pragma once

#include "velocity/result.h"
