#ifndef CTR_NETLINK_H
#define CTR_NETLINK_H
#include "plan.h"

/* Runs the NET_* steps (VETH and NFT first, in our namespace; then ADDR and
 * ROUTE inside the one pinned at netns_path); -1 when all went, else the
 * failed step's index (-2: no socket or namespace to start with) with errno
 * set. *nft_gen: the generation at which an NFT batch made ctr's table. */
int net_wire(const struct plan *steps, const char *netns_path, long long *nft_gen);

/* A --rm container's exit: its namespace unpinned and, if its batch made
 * ctr's table at generation gen and nothing changed since, the table
 * dropped (1). What is left, rm removes. */
int net_unwire(const char *netns_path, long long gen);
#endif
