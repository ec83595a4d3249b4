/* Raw bytes into the AD parser, the advertising report decoder and the
 * accumulator; every parsed set of fields is built again. */
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
	while (ad_acc_take_pending(&c.acc))
		;
	return 0;
}
