/* Reads the Plan from a pipe. The format is described in plan.h. */
#include "plan.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int read_all(int fd, unsigned char **buf, size_t *len) {
  size_t cap = 65536, n = 0;
  unsigned char *b = malloc(cap);
  if (!b) return -1;
  for (;;) {
    if (n == cap) {
      cap *= 2;
      unsigned char *nb = realloc(b, cap);
      if (!nb) { free(b); return -1; }
      b = nb;
    }
    ssize_t r = read(fd, b + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) { free(b); return -1; }
    if (r == 0) break;
    n += (size_t)r;
  }
  *buf = b;
  *len = n;
  return 0;
}

static int take_u32(const unsigned char *b, size_t len, size_t *pos, uint32_t *out) {
  if (*pos + 4 > len) return -1;
  *out = (uint32_t)b[*pos] | (uint32_t)b[*pos + 1] << 8 | (uint32_t)b[*pos + 2] << 16 | (uint32_t)b[*pos + 3] << 24;
  *pos += 4;
  return 0;
}

static int plan_parse(unsigned char *b, size_t len, struct plan *out) {
  size_t pos = 0, cap = 64;
  out->n = 0;
  out->ops = calloc(cap, sizeof(struct op));
  for (;;) {
    uint32_t kind, argc;
    if (take_u32(b, len, &pos, &kind) < 0) { errno = EPROTO; return -1; }
    if (kind == OP_END) break;
    if (take_u32(b, len, &pos, &argc) < 0 || argc > 65536) { errno = EPROTO; return -1; }
    if (out->n == cap) {
      cap *= 2;
      out->ops = realloc(out->ops, cap * sizeof(struct op));
    }
    struct op *o = &out->ops[out->n++];
    o->kind = kind;
    o->argc = argc;
    o->argv = calloc(argc + 1, sizeof(char *));
    o->lens = calloc(argc + 1, sizeof(uint32_t));
    for (uint32_t i = 0; i < argc; i++) {
      uint32_t l;
      if (take_u32(b, len, &pos, &l) < 0 || pos + l > len) { errno = EPROTO; return -1; }
      o->argv[i] = malloc(l + 1);
      memcpy(o->argv[i], b + pos, l);
      o->argv[i][l] = 0;
      o->lens[i] = l;
      pos += l;
    }
  }
  free(b);
  return 0;
}

int plan_read(int fd, struct plan *out) {
  unsigned char *b;
  size_t len;
  if (read_all(fd, &b, &len) < 0) return -1;
  return plan_parse(b, len, out);
}

static int read_exactly(int fd, unsigned char *b, size_t len) {
  for (size_t n = 0; n < len;) {
    ssize_t r = read(fd, b + n, len - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) { errno = ECANCELED; return -1; }
    n += (size_t)r;
  }
  return 0;
}

int plan_read_framed(int fd, struct plan *out) {
  unsigned char h[4];
  if (read_exactly(fd, h, 4) < 0) return -1;
  size_t len = (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16 | (size_t)h[3] << 24;
  if (len > (1u << 20)) { errno = EPROTO; return -1; }
  unsigned char *b = malloc(len ? len : 1);
  if (!b) return -1;
  if (read_exactly(fd, b, len) < 0) { free(b); return -1; }
  return plan_parse(b, len, out);
}

const struct op *plan_find(const struct plan *p, uint32_t kind) {
  for (size_t i = 0; i < p->n; i++)
    if (p->ops[i].kind == kind) return &p->ops[i];
  return NULL;
}

long long arg_ll(const struct op *o, uint32_t i) {
  return i < o->argc ? strtoll(o->argv[i], NULL, 10) : 0;
}

unsigned long long arg_hex(const struct op *o, uint32_t i) {
  return i < o->argc ? strtoull(o->argv[i], NULL, 16) : 0;
}
