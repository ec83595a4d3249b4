/* The start-up sequence: Reset, what the controller is and supports, its
 * address and buffers, the event masks; then the host is ready. Each step
 * is one command; its completion is parsed into h->ctrl and submits the
 * next one. */
#include <errno.h>
#include <string.h>

#include "host.h"

/* Event Mask bits (Core Vol 4 Part E 7.3.1). */
#define EVM_DISCONNECTION_COMPLETE (1ull << 4)
#define EVM_ENCRYPTION_CHANGE (1ull << 7)
#define EVM_HARDWARE_ERROR (1ull << 15)
#define EVM_DATA_BUFFER_OVERFLOW (1ull << 25)
#define EVM_ENCRYPTION_KEY_REFRESH (1ull << 47)
#define EVM_LE_META (1ull << 61)

/* LE Event Mask bits (7.8.1). */
#define LEM_CONNECTION_COMPLETE (1ull << 0)
#define LEM_ADVERTISING_REPORT (1ull << 1)
#define LEM_CONNECTION_UPDATE_COMPLETE (1ull << 2)
#define LEM_READ_REMOTE_FEATURES (1ull << 3)
#define LEM_LTK_REQUEST (1ull << 4)
#define LEM_DATA_LENGTH_CHANGE (1ull << 6)
#define LEM_ENHANCED_CONNECTION_COMPLETE (1ull << 9)
#define LEM_PHY_UPDATE_COMPLETE (1ull << 11)
#define LEM_EXTENDED_ADVERTISING_REPORT (1ull << 12)
#define LEM_SCAN_TIMEOUT (1ull << 16)
#define LEM_ADVERTISING_SET_TERMINATED (1ull << 17)

/* LE features bits (Vol 6 Part B 4.6). */
#define LEF_DATA_LENGTH_EXTENSION 5
#define LEF_LL_PRIVACY 6
#define LEF_2M_PHY 8
#define LEF_CODED_PHY 11
#define LEF_EXTENDED_ADVERTISING 12

enum step {
	STEP_RESET,
	STEP_LOCAL_VERSION,
	STEP_LOCAL_COMMANDS,
	STEP_LOCAL_FEATURES,
	STEP_LE_LOCAL_FEATURES,
	STEP_BD_ADDR,
	STEP_LE_BUFFER_SIZE,
	STEP_BUFFER_SIZE,
	STEP_LE_MAX_ADV_DATA_LEN, /* the extended ones: only when the host uses them */
	STEP_LE_NUM_ADV_SETS,
	STEP_EVENT_MASK,
	STEP_LE_EVENT_MASK,
	STEP_COUNT,
};

static const uint16_t step_opcode[STEP_COUNT] = {
	[STEP_RESET] = HCI_OP_RESET,
	[STEP_LOCAL_VERSION] = HCI_OP_READ_LOCAL_VERSION,
	[STEP_LOCAL_COMMANDS] = HCI_OP_READ_LOCAL_COMMANDS,
	[STEP_LOCAL_FEATURES] = HCI_OP_READ_LOCAL_FEATURES,
	[STEP_LE_LOCAL_FEATURES] = HCI_OP_LE_READ_LOCAL_FEATURES,
	[STEP_BD_ADDR] = HCI_OP_READ_BD_ADDR,
	[STEP_LE_BUFFER_SIZE] = HCI_OP_LE_READ_BUFFER_SIZE,
	[STEP_BUFFER_SIZE] = HCI_OP_READ_BUFFER_SIZE,
	[STEP_LE_MAX_ADV_DATA_LEN] = HCI_OP_LE_READ_MAX_ADV_DATA_LEN,
	[STEP_LE_NUM_ADV_SETS] = HCI_OP_LE_READ_NUM_ADV_SETS,
	[STEP_EVENT_MASK] = HCI_OP_SET_EVENT_MASK,
	[STEP_LE_EVENT_MASK] = HCI_OP_LE_SET_EVENT_MASK,
};

unsigned host_setup_steps(void)
{
	return STEP_COUNT;
}

uint16_t host_setup_opcode(unsigned i)
{
	return i < STEP_COUNT ? step_opcode[i] : 0;
}

static bool le_feature(const struct host *h, unsigned bit)
{
	return h->ctrl.le_features[bit / 8] & (1u << (bit % 8));
}

static uint64_t le_event_mask(const struct host *h)
{
	uint64_t m = LEM_CONNECTION_COMPLETE | LEM_ADVERTISING_REPORT |
		     LEM_CONNECTION_UPDATE_COMPLETE | LEM_READ_REMOTE_FEATURES | LEM_LTK_REQUEST;
	if (le_feature(h, LEF_DATA_LENGTH_EXTENSION))
		m |= LEM_DATA_LENGTH_CHANGE;
	if (le_feature(h, LEF_LL_PRIVACY) || le_feature(h, LEF_EXTENDED_ADVERTISING))
		m |= LEM_ENHANCED_CONNECTION_COMPLETE;
	if (le_feature(h, LEF_2M_PHY) || le_feature(h, LEF_CODED_PHY))
		m |= LEM_PHY_UPDATE_COMPLETE;
	if (host_ext_supported(h))
		m |= LEM_EXTENDED_ADVERTISING_REPORT | LEM_SCAN_TIMEOUT |
		     LEM_ADVERTISING_SET_TERMINATED;
	return m;
}

static bool step_needed(const struct host *h, int step)
{
	if (step == STEP_BUFFER_SIZE)
		return !h->ctrl.le_buf.acl_len || !h->ctrl.le_buf.acl_num ||
		       host_bredr_supported(h);
	if (step == STEP_LE_MAX_ADV_DATA_LEN || step == STEP_LE_NUM_ADV_SETS)
		return host_ext_supported(h);
	return true;
}

static void fail(struct host *h)
{
	h->failed = true;
	host_out_push(h, HOST_OUT_FAILED);
}

static void finish(struct host *h)
{
	const struct hci_buffer_size *b =
		h->ctrl.le_buf.acl_len && h->ctrl.le_buf.acl_num ? &h->ctrl.le_buf : &h->ctrl.buf;
	if (!b->acl_len || !b->acl_num) {
		fail(h);
		return;
	}
	host_acl_set_buffers(&h->acl, b->acl_len, b->acl_num);
	/* BR/EDR links use the Read Buffer Size pool when LE has its own. */
	if (b == &h->ctrl.le_buf && h->ctrl.buf.acl_len && h->ctrl.buf.acl_num)
		host_acl_set_bredr_buffers(&h->acl, h->ctrl.buf.acl_len, h->ctrl.buf.acl_num);
	host_bredr_setup(h);
	h->ready = true;
	host_gap_ready(h, h->now_ms);
	host_out_push(h, HOST_OUT_READY);
}

/* Submits the command of the first needed step from h->setup_step on. */
static void submit(struct host *h)
{
	while (h->setup_step < STEP_COUNT && !step_needed(h, h->setup_step))
		h->setup_step++;
	if (h->setup_step == STEP_COUNT) {
		finish(h);
		return;
	}
	uint8_t params[8];
	size_t plen = 0;
	struct wr w = wr_init(params, sizeof params);
	if (h->setup_step == STEP_EVENT_MASK)
		wr_le64(&w, EVM_DISCONNECTION_COMPLETE | EVM_ENCRYPTION_CHANGE |
				    EVM_HARDWARE_ERROR | EVM_DATA_BUFFER_OVERFLOW |
				    EVM_ENCRYPTION_KEY_REFRESH | EVM_LE_META |
				    host_bredr_event_mask(h));
	else if (h->setup_step == STEP_LE_EVENT_MASK)
		wr_le64(&w, le_event_mask(h));
	plen = w.len;
	if (host_cmdq_submit(&h->cmd, step_opcode[h->setup_step], params, plen,
			     HOST_COOKIE_SETUP) < 0)
		fail(h);
}

void host_start(struct host *h, bool reset)
{
	memset(&h->ctrl, 0, sizeof h->ctrl);
	h->ready = false;
	h->failed = false;
	h->setup_step = reset ? STEP_RESET : STEP_LOCAL_VERSION;
	/* Without Reset the controller may still have advertising sets. */
	h->gap.ext.sets_unknown = !reset;
	submit(h);
}

void host_setup_done(struct host *h, const struct host_cmd_done *d)
{
	if (h->setup_step < 0 || h->setup_step >= STEP_COUNT ||
	    d->opcode != step_opcode[h->setup_step] || h->failed)
		return;
	/* The return parameters again with their status byte, for the decoders. */
	uint8_t ret[HCI_CMD_PARAM_MAX + 1];
	ret[0] = d->status;
	memcpy(ret + 1, d->ret, d->ret_len);
	size_t len = d->ret_len + 1;
	int rc = 0;
	if (d->err || d->by_status || d->status != HCI_SUCCESS) {
		rc = d->err ? d->err : -EIO;
	} else {
		switch (h->setup_step) {
		case STEP_LOCAL_VERSION:
			rc = hci_decode_local_version(ret, len, &h->ctrl.version);
			break;
		case STEP_LOCAL_COMMANDS:
			rc = hci_decode_bytes_ret(ret, len, h->ctrl.commands, 64);
			break;
		case STEP_LOCAL_FEATURES:
			rc = hci_decode_bytes_ret(ret, len, h->ctrl.features, 8);
			break;
		case STEP_LE_LOCAL_FEATURES:
			rc = hci_decode_bytes_ret(ret, len, h->ctrl.le_features, 8);
			break;
		case STEP_BD_ADDR:
			rc = hci_decode_bytes_ret(ret, len, h->ctrl.bdaddr, 6);
			break;
		case STEP_LE_BUFFER_SIZE:
			rc = hci_decode_le_buffer_size(ret, len, &h->ctrl.le_buf);
			break;
		case STEP_BUFFER_SIZE:
			rc = hci_decode_buffer_size(ret, len, &h->ctrl.buf);
			break;
		case STEP_LE_MAX_ADV_DATA_LEN: {
			uint8_t b[2];
			rc = hci_decode_bytes_ret(ret, len, b, 2);
			h->gap.ext.max_adv_len = rc < 0 ? 0 : (uint16_t)(b[0] | b[1] << 8);
			break;
		}
		case STEP_LE_NUM_ADV_SETS:
			rc = hci_decode_bytes_ret(ret, len, &h->gap.ext.num_sets, 1);
			break;
		default:
			break;
		}
	}
	/* Only Reset, the address and the buffer sizes are essential; the
	 * rest leaves zeros (no features known, default masks). */
	if (rc < 0 && (h->setup_step == STEP_RESET || h->setup_step == STEP_BD_ADDR ||
		       h->setup_step == STEP_BUFFER_SIZE || d->err)) {
		fail(h);
		return;
	}
	h->setup_step++;
	submit(h);
}
