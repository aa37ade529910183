// Result<T> and Error for the public API of libvelocity: the same types the whole project
// uses internally (see src/common/result.h).
#pragma once

#include "common/result.h"
