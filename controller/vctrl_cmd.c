/* hive-vctrl: the HCI command table, the dispatcher, and the commands that
 * only touch the local controller (configuration, information, the Filter
 * Accept List, LE Encrypt and LE Rand). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vctrl_int.h"

/* Answered with Command Complete, Command Status, or (Host Number Of
 * Completed Packets, 7.3.40) nothing unless it fails. */
enum { CC, CS, QUIET };
#define VAR (-1)    /* variable parameter length, checked by the handler */
#define NOBIT (-1)  /* no Supported_Commands bit */
#define BIT(octet, bit) ((octet) * 8 + (bit))

struct vctrl_cmd_entry {
	uint16_t opcode;
	int16_t plen;  /* fixed Parameter_Total_Length, or VAR */
	uint8_t kind;  /* CC or CS */
	uint8_t api;   /* enum vctrl_api: which advertising family the command is */
	int16_t bit;   /* Supported_Commands bit (Vol 4 Part E 6.27) */
	const char *name;
	vctrl_cmd_fn fn;
};

/* ---- controller and baseband, informational ------------------------------- */

static uint8_t on_set_event_mask(struct vctrl_radio *r, struct vctrl *c,
				 const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	c->event_mask = rd_le64(&rd);
	return HCI_SUCCESS;
}

static uint8_t on_reset(struct vctrl_radio *r, struct vctrl *c, const struct vctrl_cmd *cmd,
			struct wr *ret)
{
	vctrl_ctrl_reset(r, c, HCI_REMOTE_USER_TERMINATED);
	vctrl_log(r, c, HIVE_LOG_DEBUG, "reset");
	return HCI_SUCCESS;
}

static uint8_t on_set_event_mask_page_2(struct vctrl_radio *r, struct vctrl *c,
					const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	c->event_mask2 = rd_le64(&rd);
	return HCI_SUCCESS;
}

static uint8_t on_read_le_host_support(struct vctrl_radio *r, struct vctrl *c,
				       const struct vctrl_cmd *cmd, struct wr *ret)
{
	wr_u8(ret, c->le_host);
	wr_u8(ret, 0); /* Unused */
	return HCI_SUCCESS;
}

static uint8_t on_write_le_host_support(struct vctrl_radio *r, struct vctrl *c,
					const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint8_t le = rd_u8(&rd);
	if (le > 1)
		return HCI_INVALID_PARAMETERS;
	c->le_host = le;
	return HCI_SUCCESS;
}

static uint8_t on_read_local_version_information(struct vctrl_radio *r, struct vctrl *c,
						 const struct vctrl_cmd *cmd, struct wr *ret)
{
	wr_u8(ret, VCTRL_HCI_VERSION);
	wr_le16(ret, VCTRL_HCI_REVISION);
	wr_u8(ret, VCTRL_HCI_VERSION); /* LMP/LL version */
	wr_le16(ret, VCTRL_COMPANY_ID);
	wr_le16(ret, VCTRL_LMP_SUBVERSION);
	return HCI_SUCCESS;
}

static uint8_t on_read_local_supported_commands(struct vctrl_radio *r, struct vctrl *c,
						const struct vctrl_cmd *cmd, struct wr *ret)
{
	uint8_t bits[64];
	vctrl_supported_commands(bits);
	if (r->cfg.no_extended)
		vctrl_ext_commands_clear(bits);
	wr_bytes(ret, bits, sizeof bits);
	return HCI_SUCCESS;
}

static uint8_t on_read_local_supported_features(struct vctrl_radio *r, struct vctrl *c,
						const struct vctrl_cmd *cmd, struct wr *ret)
{
	uint8_t f[8];
	vctrl_lmp_features(c, 0, f);
	wr_bytes(ret, f, 8);
	return HCI_SUCCESS;
}

static uint8_t on_read_local_extended_features(struct vctrl_radio *r, struct vctrl *c,
					       const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint8_t page = rd_u8(&rd);
	uint8_t f[8];
	bool known = vctrl_lmp_features(c, page, f);
	wr_u8(ret, page);
	wr_u8(ret, VCTRL_LMP_MAX_PAGE);
	wr_bytes(ret, f, 8);
	return known ? HCI_SUCCESS : HCI_INVALID_PARAMETERS;
}

/* The BR/EDR buffers; LE has its own (LE Read Buffer Size). */
static uint8_t on_read_buffer_size(struct vctrl_radio *r, struct vctrl *c,
				   const struct vctrl_cmd *cmd, struct wr *ret)
{
	wr_le16(ret, r->cfg.bredr_acl_size);
	wr_u8(ret, 0); /* no synchronous data */
	wr_le16(ret, r->cfg.bredr_acl_count);
	wr_le16(ret, 0);
	return HCI_SUCCESS;
}

static uint8_t on_read_bd_addr(struct vctrl_radio *r, struct vctrl *c, const struct vctrl_cmd *cmd,
			       struct wr *ret)
{
	wr_bytes(ret, c->public_addr, 6);
	return HCI_SUCCESS;
}

/* ---- LE configuration ----------------------------------------------------- */

static uint8_t on_le_set_event_mask(struct vctrl_radio *r, struct vctrl *c,
				    const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	c->le_event_mask = rd_le64(&rd);
	return HCI_SUCCESS;
}

static uint8_t on_le_read_buffer_size(struct vctrl_radio *r, struct vctrl *c,
				      const struct vctrl_cmd *cmd, struct wr *ret)
{
	wr_le16(ret, r->cfg.acl_size);
	wr_u8(ret, r->cfg.acl_count);
	return HCI_SUCCESS;
}

static uint8_t on_le_read_local_supported_features(struct vctrl_radio *r, struct vctrl *c,
						   const struct vctrl_cmd *cmd, struct wr *ret)
{
	uint8_t f[8];
	vctrl_le_features(f);
	if (r->cfg.no_extended)
		f[1] &= (uint8_t)~0x10; /* bit 12 LE Extended Advertising */
	wr_bytes(ret, f, 8);
	return HCI_SUCCESS;
}

static uint8_t on_le_set_random_address(struct vctrl_radio *r, struct vctrl *c,
					const struct vctrl_cmd *cmd, struct wr *ret)
{
	/* 7.8.4: disallowed while legacy advertising, scanning or initiating */
	if (c->adv[0].enabled || c->scan.enabled || c->init.active)
		return HCI_COMMAND_DISALLOWED;
	struct rd rd = rd_init(cmd->params, cmd->n);
	rd_copy(&rd, c->random_addr, 6);
	c->random_set = true;
	return HCI_SUCCESS;
}

static bool fal_in_use(const struct vctrl *c)
{
	for (unsigned i = 0; i <= VCTRL_ADV_SETS; i++)
		if (c->adv[i].enabled && c->adv[i].filter_policy != 0)
			return true;
	if (c->scan.enabled && (c->scan_params.filter_policy & 1))
		return true;
	return c->init.active && (c->init.p.filter_policy & 1);
}

static uint8_t on_le_read_filter_accept_list_size(struct vctrl_radio *r, struct vctrl *c,
						  const struct vctrl_cmd *cmd, struct wr *ret)
{
	wr_u8(ret, VCTRL_FAL_SIZE);
	return HCI_SUCCESS;
}

static uint8_t on_le_clear_filter_accept_list(struct vctrl_radio *r, struct vctrl *c,
					      const struct vctrl_cmd *cmd, struct wr *ret)
{
	if (fal_in_use(c))
		return HCI_COMMAND_DISALLOWED;
	c->nfal = 0;
	return HCI_SUCCESS;
}

static bool fal_entry(const struct vctrl_cmd *cmd, struct vctrl_addr *a)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	a->type = rd_u8(&rd);
	rd_copy(&rd, a->a, 6);
	if (a->type == HCI_ADDR_ANONYMOUS)
		memset(a->a, 0, 6);
	return rd_end(&rd) && (a->type <= HCI_ADDR_RANDOM || a->type == HCI_ADDR_ANONYMOUS);
}

static uint8_t on_le_add_device_to_filter_accept_list(struct vctrl_radio *r, struct vctrl *c,
						      const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct vctrl_addr a;
	if (!fal_entry(cmd, &a))
		return HCI_INVALID_PARAMETERS;
	if (fal_in_use(c))
		return HCI_COMMAND_DISALLOWED;
	if (vctrl_fal_contains(c, &a))
		return HCI_SUCCESS;
	if (c->nfal >= VCTRL_FAL_SIZE)
		return HCI_MEMORY_CAPACITY_EXCEEDED;
	c->fal[c->nfal++] = a;
	return HCI_SUCCESS;
}

static uint8_t on_le_remove_device_from_filter_accept_list(struct vctrl_radio *r, struct vctrl *c,
							   const struct vctrl_cmd *cmd,
							   struct wr *ret)
{
	struct vctrl_addr a;
	if (!fal_entry(cmd, &a))
		return HCI_INVALID_PARAMETERS;
	if (fal_in_use(c))
		return HCI_COMMAND_DISALLOWED;
	for (unsigned i = 0; i < c->nfal; i++) {
		if (c->fal[i].type == a.type && !memcmp(c->fal[i].a, a.a, 6)) {
			c->fal[i] = c->fal[--c->nfal];
			break;
		}
	}
	return HCI_SUCCESS;
}

static uint8_t on_le_set_host_channel_classification(struct vctrl_radio *r, struct vctrl *c,
						     const struct vctrl_cmd *cmd, struct wr *ret)
{
	/* 37 data channels; at least two must stay usable (7.8.19). */
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint8_t map[5];
	rd_copy(&rd, map, 5);
	unsigned n = 0;
	for (int i = 0; i < 37; i++)
		n += map[i / 8] >> (i % 8) & 1;
	return n >= 2 && !(map[4] & 0xE0) ? HCI_SUCCESS : HCI_INVALID_PARAMETERS;
}

static void reverse16(uint8_t out[16], const uint8_t in[16])
{
	for (int i = 0; i < 16; i++)
		out[i] = in[15 - i];
}

static uint8_t on_le_encrypt(struct vctrl_radio *r, struct vctrl *c, const struct vctrl_cmd *cmd,
			     struct wr *ret)
{
	/* Key and plaintext arrive least significant octet first (7.8.22); the
	 * cipher takes them most significant first. */
	struct rd rd = rd_init(cmd->params, cmd->n);
	const uint8_t *key = rd_ptr(&rd, 16);
	const uint8_t *pt = rd_ptr(&rd, 16);
	if (!rd_end(&rd))
		return HCI_INVALID_PARAMETERS;
	uint8_t k[16], in[16], out[16], le[16];
	reverse16(k, key);
	reverse16(in, pt);
	int rc = vctrl_aes128(k, in, out);
	memset(k, 0, sizeof k);
	if (rc < 0)
		return HCI_UNSPECIFIED_ERROR;
	reverse16(le, out);
	wr_bytes(ret, le, 16);
	return HCI_SUCCESS;
}

static uint8_t on_le_rand(struct vctrl_radio *r, struct vctrl *c, const struct vctrl_cmd *cmd,
			  struct wr *ret)
{
	uint8_t b[8];
	if (!r->cfg.rand || r->cfg.rand(r->cfg.rand_arg, b, sizeof b) < 0) {
		vctrl_log(r, c, HIVE_LOG_ERROR, "LE Rand: no random bytes");
		return HCI_UNSPECIFIED_ERROR;
	}
	wr_bytes(ret, b, 8);
	return HCI_SUCCESS;
}

static uint8_t on_le_read_supported_states(struct vctrl_radio *r, struct vctrl *c,
					   const struct vctrl_cmd *cmd, struct wr *ret)
{
	wr_le64(ret, 0x000003FFFFFFFFFFull); /* every state combination of 7.8.27 */
	return HCI_SUCCESS;
}

static uint8_t on_le_read_suggested_default_data_length(struct vctrl_radio *r, struct vctrl *c,
							const struct vctrl_cmd *cmd, struct wr *ret)
{
	wr_le16(ret, c->sugg_tx_octets);
	wr_le16(ret, c->sugg_tx_time);
	return HCI_SUCCESS;
}

static uint8_t on_le_write_suggested_default_data_length(struct vctrl_radio *r, struct vctrl *c,
							 const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint16_t octets = rd_le16(&rd);
	uint16_t time = rd_le16(&rd);
	if (octets < 27 || octets > 251 || time < 328 || time > 17040)
		return HCI_INVALID_PARAMETERS;
	c->sugg_tx_octets = octets;
	c->sugg_tx_time = time;
	return HCI_SUCCESS;
}

static uint8_t on_le_read_maximum_data_length(struct vctrl_radio *r, struct vctrl *c,
					      const struct vctrl_cmd *cmd, struct wr *ret)
{
	wr_le16(ret, 251);
	wr_le16(ret, 17040);
	wr_le16(ret, 251);
	wr_le16(ret, 17040);
	return HCI_SUCCESS;
}

static uint8_t on_le_set_default_phy(struct vctrl_radio *r, struct vctrl *c,
				     const struct vctrl_cmd *cmd, struct wr *ret)
{
	struct rd rd = rd_init(cmd->params, cmd->n);
	uint8_t all = rd_u8(&rd), tx = rd_u8(&rd), rx = rd_u8(&rd);
	if ((all & ~3u) || (tx & ~7u) || (rx & ~7u))
		return HCI_UNSUPPORTED_FEATURE;
	if ((!(all & 1) && !tx) || (!(all & 2) && !rx))
		return HCI_INVALID_PARAMETERS;
	c->def_all_phys = all;
	c->def_tx_phys = tx;
	c->def_rx_phys = rx;
	return HCI_SUCCESS;
}

static uint8_t on_le_read_transmit_power(struct vctrl_radio *r, struct vctrl *c,
					 const struct vctrl_cmd *cmd, struct wr *ret)
{
	wr_u8(ret, (uint8_t)(int8_t)-20);
	wr_u8(ret, 10);
	return HCI_SUCCESS;
}

/* ---- the table, sorted by opcode ---------------------------------------- */

static const struct vctrl_cmd_entry commands[] = {
	{ HCI_INQUIRY, 5, CS, VCTRL_API_NONE, BIT(0, 0), "inquiry", on_inquiry },
	{ HCI_INQUIRY_CANCEL, 0, CC, VCTRL_API_NONE, BIT(0, 1), "inquiry_cancel", on_inquiry_cancel },
	{ HCI_CREATE_CONNECTION, 13, CS, VCTRL_API_NONE, BIT(0, 4), "create_connection", on_create_connection },
	{ HCI_DISCONNECT, 3, CS, VCTRL_API_NONE, BIT(0, 5), "disconnect", on_disconnect },
	{ HCI_CREATE_CONNECTION_CANCEL, 6, CC, VCTRL_API_NONE, BIT(0, 7), "create_connection_cancel", on_create_connection_cancel },
	{ HCI_ACCEPT_CONNECTION_REQUEST, 7, CS, VCTRL_API_NONE, BIT(1, 0), "accept_connection_request", on_accept_connection_request },
	{ HCI_REJECT_CONNECTION_REQUEST, 7, CS, VCTRL_API_NONE, BIT(1, 1), "reject_connection_request", on_reject_connection_request },
	{ HCI_LINK_KEY_REQUEST_REPLY, 22, CC, VCTRL_API_NONE, BIT(1, 2), "link_key_request_reply", on_link_key_request_reply },
	{ HCI_LINK_KEY_REQUEST_NEGATIVE_REPLY, 6, CC, VCTRL_API_NONE, BIT(1, 3), "link_key_request_negative_reply", on_link_key_request_negative_reply },
	{ HCI_PIN_CODE_REQUEST_REPLY, 23, CC, VCTRL_API_NONE, BIT(1, 4), "pin_code_request_reply", on_pin_code_request_reply },
	{ HCI_PIN_CODE_REQUEST_NEGATIVE_REPLY, 6, CC, VCTRL_API_NONE, BIT(1, 5), "pin_code_request_negative_reply", on_pin_code_request_negative_reply },
	{ HCI_AUTHENTICATION_REQUESTED, 2, CS, VCTRL_API_NONE, BIT(1, 7), "authentication_requested", on_authentication_requested },
	{ HCI_SET_CONNECTION_ENCRYPTION, 3, CS, VCTRL_API_NONE, BIT(2, 0), "set_connection_encryption", on_set_connection_encryption },
	{ HCI_REMOTE_NAME_REQUEST, 10, CS, VCTRL_API_NONE, BIT(2, 3), "remote_name_request", on_remote_name_request },
	{ HCI_READ_REMOTE_SUPPORTED_FEATURES, 2, CS, VCTRL_API_NONE, BIT(2, 5), "read_remote_supported_features", on_read_remote_supported_features },
	{ HCI_READ_REMOTE_EXTENDED_FEATURES, 3, CS, VCTRL_API_NONE, BIT(2, 6), "read_remote_extended_features", on_read_remote_extended_features },
	{ HCI_READ_REMOTE_VERSION_INFORMATION, 2, CS, VCTRL_API_NONE, BIT(2, 7),
	  "read_remote_version_information", on_read_remote_version_information },
	{ HCI_IO_CAPABILITY_REQUEST_REPLY, 9, CC, VCTRL_API_NONE, BIT(18, 7), "io_capability_request_reply", on_io_capability_request_reply },
	{ HCI_USER_CONFIRMATION_REQUEST_REPLY, 6, CC, VCTRL_API_NONE, BIT(19, 0), "user_confirmation_request_reply", on_user_confirmation_request_reply },
	{ HCI_USER_CONFIRMATION_REQUEST_NEGATIVE_REPLY, 6, CC, VCTRL_API_NONE, BIT(19, 1), "user_confirmation_request_negative_reply", on_user_confirmation_request_negative_reply },
	{ HCI_USER_PASSKEY_REQUEST_REPLY, 10, CC, VCTRL_API_NONE, BIT(19, 2), "user_passkey_request_reply", on_user_passkey_request_reply },
	{ HCI_USER_PASSKEY_REQUEST_NEGATIVE_REPLY, 6, CC, VCTRL_API_NONE, BIT(19, 3), "user_passkey_request_negative_reply", on_user_passkey_request_negative_reply },
	{ HCI_IO_CAPABILITY_REQUEST_NEGATIVE_REPLY, 7, CC, VCTRL_API_NONE, BIT(20, 3), "io_capability_request_negative_reply", on_io_capability_request_negative_reply },
	{ HCI_ROLE_DISCOVERY, 2, CC, VCTRL_API_NONE, BIT(4, 7), "role_discovery", on_role_discovery },
	{ HCI_SWITCH_ROLE, 7, CS, VCTRL_API_NONE, BIT(5, 0), "switch_role", on_switch_role },
	{ HCI_SET_EVENT_MASK, 8, CC, VCTRL_API_NONE, BIT(5, 6), "set_event_mask", on_set_event_mask },
	{ HCI_RESET, 0, CC, VCTRL_API_NONE, BIT(5, 7), "reset", on_reset },
	{ HCI_FLUSH, 2, CC, VCTRL_API_NONE, BIT(6, 1), "flush", on_flush },
	{ HCI_WRITE_LOCAL_NAME, 248, CC, VCTRL_API_NONE, BIT(7, 0), "write_local_name", on_write_local_name },
	{ HCI_READ_LOCAL_NAME, 0, CC, VCTRL_API_NONE, BIT(7, 1), "read_local_name", on_read_local_name },
	{ HCI_WRITE_CONNECTION_ACCEPT_TIMEOUT, 2, CC, VCTRL_API_NONE, BIT(7, 3), "write_connection_accept_timeout", on_write_connection_accept_timeout },
	{ HCI_WRITE_PAGE_TIMEOUT, 2, CC, VCTRL_API_NONE, BIT(7, 5), "write_page_timeout", on_write_page_timeout },
	{ HCI_READ_SCAN_ENABLE, 0, CC, VCTRL_API_NONE, BIT(7, 6), "read_scan_enable", on_read_scan_enable },
	{ HCI_WRITE_SCAN_ENABLE, 1, CC, VCTRL_API_NONE, BIT(7, 7), "write_scan_enable", on_write_scan_enable },
	{ HCI_READ_CLASS_OF_DEVICE, 0, CC, VCTRL_API_NONE, BIT(9, 0), "read_class_of_device", on_read_class_of_device },
	{ HCI_WRITE_CLASS_OF_DEVICE, 3, CC, VCTRL_API_NONE, BIT(9, 1), "write_class_of_device", on_write_class_of_device },
	{ HCI_SET_CONTROLLER_TO_HOST_FLOW_CONTROL, 1, CC, VCTRL_API_NONE, BIT(10, 5),
	  "set_controller_to_host_flow_control", on_set_controller_to_host_flow_control },
	{ HCI_HOST_BUFFER_SIZE, 7, CC, VCTRL_API_NONE, BIT(10, 6), "host_buffer_size",
	  on_host_buffer_size },
	{ HCI_HOST_NUMBER_OF_COMPLETED_PACKETS, VAR, QUIET, VCTRL_API_NONE, BIT(10, 7),
	  "host_number_of_completed_packets", on_host_number_of_completed_packets },
	{ HCI_READ_INQUIRY_MODE, 0, CC, VCTRL_API_NONE, BIT(12, 6), "read_inquiry_mode", on_read_inquiry_mode },
	{ HCI_WRITE_INQUIRY_MODE, 1, CC, VCTRL_API_NONE, BIT(12, 7), "write_inquiry_mode", on_write_inquiry_mode },
	{ HCI_READ_EXTENDED_INQUIRY_RESPONSE, 0, CC, VCTRL_API_NONE, BIT(17, 0), "read_extended_inquiry_response", on_read_extended_inquiry_response },
	{ HCI_WRITE_EXTENDED_INQUIRY_RESPONSE, 241, CC, VCTRL_API_NONE, BIT(17, 1), "write_extended_inquiry_response", on_write_extended_inquiry_response },
	{ HCI_READ_SIMPLE_PAIRING_MODE, 0, CC, VCTRL_API_NONE, BIT(17, 5), "read_simple_pairing_mode", on_read_simple_pairing_mode },
	{ HCI_WRITE_SIMPLE_PAIRING_MODE, 1, CC, VCTRL_API_NONE, BIT(17, 6), "write_simple_pairing_mode", on_write_simple_pairing_mode },
	{ HCI_SET_EVENT_MASK_PAGE_2, 8, CC, VCTRL_API_NONE, BIT(22, 2), "set_event_mask_page_2",
	  on_set_event_mask_page_2 },
	{ HCI_READ_LE_HOST_SUPPORT, 0, CC, VCTRL_API_NONE, BIT(24, 5), "read_le_host_support",
	  on_read_le_host_support },
	{ HCI_WRITE_LE_HOST_SUPPORT, 2, CC, VCTRL_API_NONE, BIT(24, 6), "write_le_host_support",
	  on_write_le_host_support },
	{ HCI_READ_LOCAL_VERSION_INFORMATION, 0, CC, VCTRL_API_NONE, BIT(14, 3),
	  "read_local_version_information", on_read_local_version_information },
	{ HCI_READ_LOCAL_SUPPORTED_COMMANDS, 0, CC, VCTRL_API_NONE, NOBIT,
	  "read_local_supported_commands", on_read_local_supported_commands },
	{ HCI_READ_LOCAL_SUPPORTED_FEATURES, 0, CC, VCTRL_API_NONE, BIT(14, 5),
	  "read_local_supported_features", on_read_local_supported_features },
	{ HCI_READ_LOCAL_EXTENDED_FEATURES, 1, CC, VCTRL_API_NONE, BIT(14, 6),
	  "read_local_extended_features", on_read_local_extended_features },
	{ HCI_READ_BUFFER_SIZE, 0, CC, VCTRL_API_NONE, BIT(14, 7), "read_buffer_size",
	  on_read_buffer_size },
	{ HCI_READ_BD_ADDR, 0, CC, VCTRL_API_NONE, BIT(15, 1), "read_bd_addr", on_read_bd_addr },
	{ HCI_READ_RSSI, 2, CC, VCTRL_API_NONE, BIT(15, 5), "read_rssi", on_read_rssi },
	{ HCI_LE_SET_EVENT_MASK, 8, CC, VCTRL_API_NONE, BIT(25, 0), "le_set_event_mask",
	  on_le_set_event_mask },
	{ HCI_LE_READ_BUFFER_SIZE, 0, CC, VCTRL_API_NONE, BIT(25, 1), "le_read_buffer_size",
	  on_le_read_buffer_size },
	{ HCI_LE_READ_LOCAL_SUPPORTED_FEATURES, 0, CC, VCTRL_API_NONE, BIT(25, 2),
	  "le_read_local_supported_features", on_le_read_local_supported_features },
	{ HCI_LE_SET_RANDOM_ADDRESS, 6, CC, VCTRL_API_NONE, BIT(25, 4), "le_set_random_address",
	  on_le_set_random_address },
	{ HCI_LE_SET_ADVERTISING_PARAMETERS, 15, CC, VCTRL_API_LEGACY, BIT(25, 5),
	  "le_set_advertising_parameters", on_le_set_advertising_parameters },
	{ HCI_LE_READ_ADVERTISING_PHYSICAL_CHANNEL_TX_POWER, 0, CC, VCTRL_API_LEGACY, BIT(25, 6),
	  "le_read_advertising_physical_channel_tx_power",
	  on_le_read_advertising_physical_channel_tx_power },
	{ HCI_LE_SET_ADVERTISING_DATA, 32, CC, VCTRL_API_LEGACY, BIT(25, 7),
	  "le_set_advertising_data", on_le_set_advertising_data },
	{ HCI_LE_SET_SCAN_RESPONSE_DATA, 32, CC, VCTRL_API_LEGACY, BIT(26, 0),
	  "le_set_scan_response_data", on_le_set_scan_response_data },
	{ HCI_LE_SET_ADVERTISING_ENABLE, 1, CC, VCTRL_API_LEGACY, BIT(26, 1),
	  "le_set_advertising_enable", on_le_set_advertising_enable },
	{ HCI_LE_SET_SCAN_PARAMETERS, 7, CC, VCTRL_API_LEGACY, BIT(26, 2),
	  "le_set_scan_parameters", on_le_set_scan_parameters },
	{ HCI_LE_SET_SCAN_ENABLE, 2, CC, VCTRL_API_LEGACY, BIT(26, 3), "le_set_scan_enable",
	  on_le_set_scan_enable },
	{ HCI_LE_CREATE_CONNECTION, 25, CS, VCTRL_API_LEGACY, BIT(26, 4), "le_create_connection",
	  on_le_create_connection },
	{ HCI_LE_CREATE_CONNECTION_CANCEL, 0, CC, VCTRL_API_NONE, BIT(26, 5),
	  "le_create_connection_cancel", on_le_create_connection_cancel },
	{ HCI_LE_READ_FILTER_ACCEPT_LIST_SIZE, 0, CC, VCTRL_API_NONE, BIT(26, 6),
	  "le_read_filter_accept_list_size", on_le_read_filter_accept_list_size },
	{ HCI_LE_CLEAR_FILTER_ACCEPT_LIST, 0, CC, VCTRL_API_NONE, BIT(26, 7),
	  "le_clear_filter_accept_list", on_le_clear_filter_accept_list },
	{ HCI_LE_ADD_DEVICE_TO_FILTER_ACCEPT_LIST, 7, CC, VCTRL_API_NONE, BIT(27, 0),
	  "le_add_device_to_filter_accept_list", on_le_add_device_to_filter_accept_list },
	{ HCI_LE_REMOVE_DEVICE_FROM_FILTER_ACCEPT_LIST, 7, CC, VCTRL_API_NONE, BIT(27, 1),
	  "le_remove_device_from_filter_accept_list",
	  on_le_remove_device_from_filter_accept_list },
	{ HCI_LE_CONNECTION_UPDATE, 14, CS, VCTRL_API_NONE, BIT(27, 2), "le_connection_update",
	  on_le_connection_update },
	{ HCI_LE_SET_HOST_CHANNEL_CLASSIFICATION, 5, CC, VCTRL_API_NONE, BIT(27, 3),
	  "le_set_host_channel_classification", on_le_set_host_channel_classification },
	{ HCI_LE_READ_CHANNEL_MAP, 2, CC, VCTRL_API_NONE, BIT(27, 4), "le_read_channel_map",
	  on_le_read_channel_map },
	{ HCI_LE_READ_REMOTE_FEATURES, 2, CS, VCTRL_API_NONE, BIT(27, 5),
	  "le_read_remote_features", on_le_read_remote_features },
	{ HCI_LE_ENCRYPT, 32, CC, VCTRL_API_NONE, BIT(27, 6), "le_encrypt", on_le_encrypt },
	{ HCI_LE_RAND, 0, CC, VCTRL_API_NONE, BIT(27, 7), "le_rand", on_le_rand },
	{ HCI_LE_ENABLE_ENCRYPTION, 28, CS, VCTRL_API_NONE, BIT(28, 0), "le_enable_encryption",
	  on_le_enable_encryption },
	{ HCI_LE_LONG_TERM_KEY_REQUEST_REPLY, 18, CC, VCTRL_API_NONE, BIT(28, 1),
	  "le_long_term_key_request_reply", on_le_long_term_key_request_reply },
	{ HCI_LE_LONG_TERM_KEY_REQUEST_NEGATIVE_REPLY, 2, CC, VCTRL_API_NONE, BIT(28, 2),
	  "le_long_term_key_request_negative_reply", on_le_long_term_key_request_negative_reply },
	{ HCI_LE_READ_SUPPORTED_STATES, 0, CC, VCTRL_API_NONE, BIT(28, 3),
	  "le_read_supported_states", on_le_read_supported_states },
	{ HCI_LE_SET_DATA_LENGTH, 6, CC, VCTRL_API_NONE, BIT(33, 6), "le_set_data_length",
	  on_le_set_data_length },
	{ HCI_LE_READ_SUGGESTED_DEFAULT_DATA_LENGTH, 0, CC, VCTRL_API_NONE, BIT(33, 7),
	  "le_read_suggested_default_data_length", on_le_read_suggested_default_data_length },
	{ HCI_LE_WRITE_SUGGESTED_DEFAULT_DATA_LENGTH, 4, CC, VCTRL_API_NONE, BIT(34, 0),
	  "le_write_suggested_default_data_length", on_le_write_suggested_default_data_length },
	{ HCI_LE_READ_MAXIMUM_DATA_LENGTH, 0, CC, VCTRL_API_NONE, BIT(35, 3),
	  "le_read_maximum_data_length", on_le_read_maximum_data_length },
	{ HCI_LE_READ_PHY, 2, CC, VCTRL_API_NONE, BIT(35, 4), "le_read_phy", on_le_read_phy },
	{ HCI_LE_SET_DEFAULT_PHY, 3, CC, VCTRL_API_NONE, BIT(35, 5), "le_set_default_phy",
	  on_le_set_default_phy },
	{ HCI_LE_SET_PHY, 7, CS, VCTRL_API_NONE, BIT(35, 6), "le_set_phy", on_le_set_phy },
	{ HCI_LE_SET_ADVERTISING_SET_RANDOM_ADDRESS, 7, CC, VCTRL_API_EXT, BIT(36, 1),
	  "le_set_advertising_set_random_address", on_le_set_advertising_set_random_address },
	{ HCI_LE_SET_EXTENDED_ADVERTISING_PARAMETERS, 25, CC, VCTRL_API_EXT, BIT(36, 2),
	  "le_set_extended_advertising_parameters", on_le_set_extended_advertising_parameters },
	{ HCI_LE_SET_EXTENDED_ADVERTISING_DATA, VAR, CC, VCTRL_API_EXT, BIT(36, 3),
	  "le_set_extended_advertising_data", on_le_set_extended_advertising_data },
	{ HCI_LE_SET_EXTENDED_SCAN_RESPONSE_DATA, VAR, CC, VCTRL_API_EXT, BIT(36, 4),
	  "le_set_extended_scan_response_data", on_le_set_extended_scan_response_data },
	{ HCI_LE_SET_EXTENDED_ADVERTISING_ENABLE, VAR, CC, VCTRL_API_EXT, BIT(36, 5),
	  "le_set_extended_advertising_enable", on_le_set_extended_advertising_enable },
	{ HCI_LE_READ_MAXIMUM_ADVERTISING_DATA_LENGTH, 0, CC, VCTRL_API_EXT, BIT(36, 6),
	  "le_read_maximum_advertising_data_length", on_le_read_maximum_advertising_data_length },
	{ HCI_LE_READ_NUMBER_OF_SUPPORTED_ADVERTISING_SETS, 0, CC, VCTRL_API_EXT, BIT(36, 7),
	  "le_read_number_of_supported_advertising_sets",
	  on_le_read_number_of_supported_advertising_sets },
	{ HCI_LE_REMOVE_ADVERTISING_SET, 1, CC, VCTRL_API_EXT, BIT(37, 0),
	  "le_remove_advertising_set", on_le_remove_advertising_set },
	{ HCI_LE_CLEAR_ADVERTISING_SETS, 0, CC, VCTRL_API_EXT, BIT(37, 1),
	  "le_clear_advertising_sets", on_le_clear_advertising_sets },
	{ HCI_LE_SET_EXTENDED_SCAN_PARAMETERS, VAR, CC, VCTRL_API_EXT, BIT(37, 5),
	  "le_set_extended_scan_parameters", on_le_set_extended_scan_parameters },
	{ HCI_LE_SET_EXTENDED_SCAN_ENABLE, 6, CC, VCTRL_API_EXT, BIT(37, 6),
	  "le_set_extended_scan_enable", on_le_set_extended_scan_enable },
	{ HCI_LE_EXTENDED_CREATE_CONNECTION, VAR, CS, VCTRL_API_EXT, BIT(37, 7),
	  "le_extended_create_connection", on_le_extended_create_connection },
	{ HCI_LE_READ_TRANSMIT_POWER, 0, CC, VCTRL_API_NONE, BIT(38, 7), "le_read_transmit_power",
	  on_le_read_transmit_power },
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static int entry_cmp(const void *key, const void *elem)
{
	uint16_t op = *(const uint16_t *)key;
	const struct vctrl_cmd_entry *e = elem;
	return op < e->opcode ? -1 : op > e->opcode;
}

static const struct vctrl_cmd_entry *find_command(uint16_t opcode)
{
	return bsearch(&opcode, commands, N_COMMANDS, sizeof commands[0], entry_cmp);
}

/* Clears the bits of the extended advertising family (--no-extended). */
void vctrl_ext_commands_clear(uint8_t out[64])
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (commands[i].api == VCTRL_API_EXT && commands[i].bit >= 0)
			out[commands[i].bit / 8] &= (uint8_t)~(1u << (commands[i].bit % 8));
}

void vctrl_supported_commands(uint8_t out[64])
{
	memset(out, 0, 64);
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (commands[i].bit >= 0)
			out[commands[i].bit / 8] |= (uint8_t)(1u << (commands[i].bit % 8));
}

/* The answer of a command: Command Complete with the status and the return
 * parameters (only the status when the command failed without any), or
 * Command Status. It goes into the outbox before every event the handler
 * produced, as a controller sends it. */
static void answer(struct vctrl_radio *r, struct vctrl *c, size_t mark, uint16_t opcode,
		   uint8_t kind, uint8_t status, const struct wr *ret)
{
	uint8_t ev[VCTRL_PKT_MAX];
	struct wr w = wr_init(ev, sizeof ev);
	if (kind == QUIET && status == HCI_SUCCESS)
		return;
	if (kind == CS) {
		vctrl_evt_cmd_status(&w, status, 1, opcode);
	} else {
		uint8_t params[256];
		struct wr p = wr_init(params, sizeof params);
		wr_u8(&p, status);
		if (wr_ok(ret) && (status == HCI_SUCCESS || ret->len > 0))
			wr_bytes(&p, ret->p, ret->len);
		vctrl_evt_cmd_complete(&w, 1, opcode, p.p, p.len);
	}
	if (wr_ok(&w))
		vctrl_send_at(r, c, mark, w.p, w.len);
}

void vctrl_on_command(struct vctrl_radio *r, struct vctrl *c, const uint8_t *p, size_t n)
{
	struct vctrl_cmd cmd;
	int rc = vctrl_cmd_parse(p, n, &cmd);
	if (rc == -EBADMSG) {
		vctrl_log(r, c, HIVE_LOG_WARN, "command packet of %zu bytes has no complete header; "
			  "dropped", n);
		return;
	}
	const struct vctrl_cmd_entry *e = find_command(cmd.opcode);
	uint8_t retbuf[248];
	struct wr ret = wr_init(retbuf, sizeof retbuf);
	size_t mark = c->out_len;
	uint8_t status;
	if (e && e->api == VCTRL_API_EXT && r->cfg.no_extended)
		e = NULL; /* this controller has no extended advertising */
	uint8_t kind = e ? e->kind : CC;
	if (!e) {
		status = HCI_UNKNOWN_COMMAND;
		vctrl_log(r, c, HIVE_LOG_INFO, "<<< unknown command 0x%04x (OGF 0x%02x OCF 0x%03x) "
			  "len=%u: Unknown HCI Command", cmd.opcode, cmd.opcode >> 10,
			  cmd.opcode & 0x3FF, cmd.plen);
	} else if (rc < 0 || (e->plen != VAR && cmd.n != (size_t)e->plen)) {
		status = HCI_INVALID_PARAMETERS;
		vctrl_log(r, c, HIVE_LOG_WARN, "<<< %s with %zu parameter bytes (length field %u): "
			  "Invalid HCI Command Parameters", e->name, cmd.n, cmd.plen);
	} else if (e->api != VCTRL_API_NONE && c->api != VCTRL_API_NONE && c->api != e->api) {
		status = HCI_COMMAND_DISALLOWED;
		vctrl_log(r, c, HIVE_LOG_WARN, "<<< %s: the host already used the %s advertising "
			  "commands since Reset: Command Disallowed", e->name,
			  c->api == VCTRL_API_LEGACY ? "legacy" : "extended");
	} else {
		if (hive_log_threshold() >= HIVE_LOG_DEBUG)
			vctrl_log(r, c, HIVE_LOG_DEBUG, "<<< %s len=%zu", e->name, cmd.n);
		status = e->fn(r, c, &cmd, &ret);
		if (status == HCI_SUCCESS && e->api != VCTRL_API_NONE)
			c->api = (enum vctrl_api)e->api;
		if (status != HCI_SUCCESS)
			vctrl_log(r, c, HIVE_LOG_DEBUG, ">>> %s: status 0x%02x", e->name, status);
	}
	answer(r, c, mark, cmd.opcode, kind, status, &ret);
}
