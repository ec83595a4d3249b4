/* Raw bytes into the AD parser, the advertising report decoders (legacy and
 * extended) and the accumulator; every parsed set of fields is built
 * again. */
#include <stddef.h>
#include <stdint.h>

#include "../../actors/host/ad_codec.h"
#include "../../actors/host/gap_codec.h"

struct ctx {
	struct ad_acc acc;
};

static void on_report(void *arg, const struct ad_report_in *r)
{
	struct ctx *c = arg;
	const struct ad_entry *e = ad_acc_update(&c->acc, r);
	if (e) {
		struct ad_fields f;
		ad_fields_init(&f);
		(void)ad_parse(e->adv, e->adv_len, &f);
		if (e->has_rsp)
			(void)ad_parse(e->rsp, e->rsp_len, &f);
	}
}

/* An extended report as the host hands it on: data, event type mapped. */
static void on_ext_report(void *arg, const struct gap_ext_report *x)
{
	struct ad_report_in r = { .event_type = gap_ext_event_to_ad(x->event_type),
				  .addr_type = x->addr_type,
				  .data = x->data,
				  .len = x->len,
				  .rssi = x->rssi,
				  .extended = !(x->event_type & GAP_EXT_EVT_LEGACY),
				  .truncated = GAP_EXT_STATUS(x->event_type) == GAP_EXT_TRUNCATED,
				  .primary_phy = x->primary_phy,
				  .secondary_phy = x->secondary_phy,
				  .sid = x->sid };
	for (int i = 0; i < 6; i++)
		r.addr[i] = x->addr[i];
	on_report(arg, &r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctx c; /* large: kept off the stack (fuzzer only) */
	struct ad_fields f;
	uint8_t out[AD_DATA_MAX];
	ad_fields_init(&f);
	if (ad_parse(data, size, &f) == 0)
		(void)ad_build(&f, out, sizeof out);
	ad_acc_init(&c.acc, size && (data[0] & 1));
	(void)gap_parse_adv_report(data, size, on_report, &c);
	(void)gap_parse_ext_adv_report(data, size, on_ext_report, &c);
	while (ad_acc_take_pending(&c.acc))
		;
	return 0;
}
