#ifndef CTR_CHILD_H
#define CTR_CHILD_H
#include "plan.h"

struct child_stdio {
  int in, out, err; /* -1: leave as is */
  int userns;       /* become root in the new user namespace first */
  int gate;         /* OP_GATE's fd on the first start, else -1 (a restart: the network was ready) */
};

_Noreturn void child_main(const struct plan *p, int sync_fd, const struct child_stdio *io, const char *fifo);
#endif
