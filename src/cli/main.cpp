// velocity: the command-line tool. One registration call per command group; adding a group
// is one new file and one line here.
#include "cli/commands.h"

int main(int argc, char** argv) {
  using namespace velocity::cli;
  CLI::App app;
  Globals globals;
  add_global_options(app, globals);
  register_topics_commands(app, globals);
  register_produce_command(app, globals);
  register_consume_command(app, globals);
  register_groups_commands(app, globals);
  register_dlq_commands(app, globals);
  register_up_commands(app, globals);
  register_check_command(app, globals);
  register_outbox_command(app, globals);
  register_load_command(app, globals);
  return run(app, argc, argv);
}
