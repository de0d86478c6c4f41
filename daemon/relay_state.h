/* SPDX-License-Identifier: EUPL-1.2 */
/*
 * relay_state.h — what the relay part keeps (relay.h): the type alone, so
 * that struct daemon can hold it without including relay.h.
 */
#ifndef SAMEN_RELAY_STATE_H
#define SAMEN_RELAY_STATE_H

#include <stddef.h>

struct sub_session;
struct audit;

struct relay {
	struct sub_session *subs; /* SUBS_MAX slots */
	size_t n_subs;
	struct audit *audit;      /* STATE_DIR/audit.log */
};

#endif
