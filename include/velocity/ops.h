// Everything that makes a process operable, in one include: metrics, readiness and the ops HTTP
// endpoint, structured logs, trace context, configuration from the environment and graceful
// shutdown. See docs/toolkit-ops.md for how a service's main() wires them together.
#pragma once

#include "velocity/config.h"
#include "velocity/health.h"
#include "velocity/logging.h"
#include "velocity/metrics.h"
#include "velocity/ops_server.h"
#include "velocity/shutdown.h"
#include "velocity/trace.h"
