/* SPDX-License-Identifier: EUPL-1.2 */
#include "sigview.h"

#include <sodium.h>

#include "mp.h"
#include "mpmap.h"

size_t sigview_fields(const struct signal_plain *p)
{
	return 9 + (p->has_point ? 3 : 0);
}

int sigview_pack(msgpack_packer *pk, const struct signal_plain *p)
{
	char hex[65];
	int r = 0;

	r |= mpmap_put_str(pk, "kind", signal_kind_name(p->kind));
	r |= mpmap_put_str(pk, "category", signal_category_name(p->category));
	r |= mpmap_put_str(pk, "severity", signal_severity_name(p->severity));
	r |= mpmap_put_str(pk, "status", signal_status_name(p->status));
	r |= mpmap_put_bool(pk, "called112", p->called112);
	r |= mpmap_put_str(pk, "ack", signal_ack_name(p->ack));
	r |= mpmap_put_str(pk, "description", p->description);
	r |= mpmap_put_str(pk, "where", p->where);
	if (p->has_point) {
		r |= mpmap_put_int(pk, "lat_e6", p->lat_e6);
		r |= mpmap_put_int(pk, "lon_e6", p->lon_e6);
		r |= mpmap_put_uint(pk, "radius_m", p->radius_m);
	}
	r |= mpmap_put_key(pk, "refs");
	r |= msgpack_pack_array(pk, p->n_refs);
	for (unsigned i = 0; i < p->n_refs; i++) {
		sodium_bin2hex(hex, sizeof(hex), p->refs[i], 32);
		r |= mp_pack_str(pk, hex);
	}
	return r ? -1 : 0;
}
