/* SMP PDUs (Core Vol 3 Part H 3.5-3.6): pure bytes <-> structs.
 *
 * Every PDU has one exact length (code octet included); a PDU one octet
 * short or long is refused. Multi-octet values (confirm, random, keys,
 * public key coordinates, DHKey check, BD_ADDR) travel least significant
 * octet first; in the structs they are most significant octet first, as the
 * specification prints them and as smp_crypto.h takes them. EDIV and Rand
 * are numbers. Parameter ranges (IO capability, key size) are the state
 * machine's business: the codec checks lengths only.
 */
#ifndef SMP_CODEC_H
#define SMP_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum smp_code {
	SMP_PAIRING_REQUEST = 0x01,
	SMP_PAIRING_RESPONSE = 0x02,
	SMP_PAIRING_CONFIRM = 0x03,
	SMP_PAIRING_RANDOM = 0x04,
	SMP_PAIRING_FAILED = 0x05,
	SMP_ENCRYPTION_INFORMATION = 0x06,
	SMP_CENTRAL_IDENTIFICATION = 0x07,
	SMP_IDENTITY_INFORMATION = 0x08,
	SMP_IDENTITY_ADDRESS_INFORMATION = 0x09,
	SMP_SIGNING_INFORMATION = 0x0a,
	SMP_SECURITY_REQUEST = 0x0b,
	SMP_PAIRING_PUBLIC_KEY = 0x0c,
	SMP_PAIRING_DHKEY_CHECK = 0x0d,
	SMP_KEYPRESS_NOTIFICATION = 0x0e,
	SMP_CODE_MAX = 0x0e,
};

/* Pairing Failed reasons (Vol 3 Part H 3.5.5). */
enum smp_reason {
	SMP_ERR_PASSKEY_ENTRY_FAILED = 0x01,
	SMP_ERR_OOB_NOT_AVAILABLE = 0x02,
	SMP_ERR_AUTH_REQUIREMENTS = 0x03,
	SMP_ERR_CONFIRM_VALUE_FAILED = 0x04,
	SMP_ERR_PAIRING_NOT_SUPPORTED = 0x05,
	SMP_ERR_ENCRYPTION_KEY_SIZE = 0x06,
	SMP_ERR_COMMAND_NOT_SUPPORTED = 0x07,
	SMP_ERR_UNSPECIFIED = 0x08,
	SMP_ERR_REPEATED_ATTEMPTS = 0x09,
	SMP_ERR_INVALID_PARAMETERS = 0x0a,
	SMP_ERR_DHKEY_CHECK_FAILED = 0x0b,
	SMP_ERR_NUMERIC_COMPARISON_FAILED = 0x0c,
	SMP_ERR_BREDR_PAIRING_IN_PROGRESS = 0x0d,
	SMP_ERR_CTKD_NOT_ALLOWED = 0x0e,
	SMP_ERR_KEY_REJECTED = 0x0f,
	SMP_ERR_BUSY = 0x10,
};

/* IO capabilities. */
enum smp_io_cap {
	SMP_IO_DISPLAY_ONLY = 0x00,
	SMP_IO_DISPLAY_YES_NO = 0x01,
	SMP_IO_KEYBOARD_ONLY = 0x02,
	SMP_IO_NO_INPUT_NO_OUTPUT = 0x03,
	SMP_IO_KEYBOARD_DISPLAY = 0x04,
};

/* AuthReq bits. */
#define SMP_AUTH_BONDING 0x01
#define SMP_AUTH_MITM 0x04
#define SMP_AUTH_SC 0x08
#define SMP_AUTH_KEYPRESS 0x10
#define SMP_AUTH_CT2 0x20

/* Key distribution bits. */
#define SMP_DIST_ENC_KEY 0x01
#define SMP_DIST_ID_KEY 0x02
#define SMP_DIST_SIGN_KEY 0x04
#define SMP_DIST_LINK_KEY 0x08

/* Keypress notification types. */
enum smp_keypress {
	SMP_KEYPRESS_STARTED = 0,
	SMP_KEYPRESS_DIGIT_ENTERED = 1,
	SMP_KEYPRESS_DIGIT_ERASED = 2,
	SMP_KEYPRESS_CLEARED = 3,
	SMP_KEYPRESS_COMPLETED = 4,
};

#define SMP_PAIRING_PDU_LEN 7
#define SMP_PDU_MAX 65 /* Pairing Public Key */

struct smp_pairing_params {
	uint8_t io_cap;
	uint8_t oob;
	uint8_t auth_req;
	uint8_t max_key_size;
	uint8_t init_key_dist;
	uint8_t resp_key_dist;
};

struct smp_pdu {
	uint8_t code;
	union {
		/* Pairing Request, Pairing Response */
		struct smp_pairing_params pairing;
		/* Confirm, Random, Encryption/Identity/Signing Information,
		 * DHKey Check: 128 bits, most significant octet first. */
		uint8_t value[16];
		/* Pairing Failed */
		uint8_t reason;
		/* Central Identification */
		struct {
			uint16_t ediv;
			uint64_t rand;
		} central_id;
		/* Identity Address Information; addr most significant first */
		struct {
			uint8_t type;
			uint8_t addr[6];
		} id_addr;
		/* Security Request */
		uint8_t auth_req;
		/* Pairing Public Key, coordinates most significant first */
		struct {
			uint8_t x[32];
			uint8_t y[32];
		} public_key;
		/* Keypress Notification */
		uint8_t notification;
	};
};

/* The exact length of a PDU with this code, code octet included; 0 for a
 * code this codec does not know. */
size_t smp_pdu_len(uint8_t code);

/* Decodes one PDU. Returns 0, -ENOTSUP for an unknown code (out->code is
 * still set), -EBADMSG when the length is not the code's exact length (or
 * len is 0). */
int smp_pdu_decode(const uint8_t *buf, size_t len, struct smp_pdu *out);

/* Encodes pdu into buf (cap octets). Returns the length, -ENOTSUP for an
 * unknown code, -ENOSPC when cap is too small. */
int smp_pdu_encode(const struct smp_pdu *pdu, uint8_t *buf, size_t cap);

/* Names for logs: "smp_pairing_request", "confirm value failed"; never
 * NULL ("unknown"). */
const char *smp_code_name(uint8_t code);
const char *smp_reason_name(uint8_t reason);

#endif
