/* hive-ctl: the protocol codes a Result carries, in words. One table per
 * protocol, indexed by code (Core specification v5.4: ATT Vol 3 Part F
 * 3.4.1.1, HCI Vol 1 Part F, SMP Vol 3 Part H 3.5.5, L2CAP Vol 3 Part A
 * 4.23); these files need no connection and no ZeroMQ. */
#include <stdio.h>
#include <string.h>

#include "ctl_errors.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const att_names[] = {
	[0x01] = "Invalid Handle",
	[0x02] = "Read Not Permitted",
	[0x03] = "Write Not Permitted",
	[0x04] = "Invalid PDU",
	[0x05] = "Insufficient Authentication",
	[0x06] = "Request Not Supported",
	[0x07] = "Invalid Offset",
	[0x08] = "Insufficient Authorization",
	[0x09] = "Prepare Queue Full",
	[0x0a] = "Attribute Not Found",
	[0x0b] = "Attribute Not Long",
	[0x0c] = "Encryption Key Size Too Short",
	[0x0d] = "Invalid Attribute Value Length",
	[0x0e] = "Unlikely Error",
	[0x0f] = "Insufficient Encryption",
	[0x10] = "Unsupported Group Type",
	[0x11] = "Insufficient Resources",
	[0x12] = "Database Out Of Sync",
	[0x13] = "Value Not Allowed",
	[0xfc] = "Write Request Rejected",
	[0xfd] = "Client Characteristic Configuration Descriptor Improperly Configured",
	[0xfe] = "Procedure Already in Progress",
	[0xff] = "Out of Range",
};

static const char *const hci_names[] = {
	[0x00] = "Success",
	[0x01] = "Unknown HCI Command",
	[0x02] = "Unknown Connection Identifier",
	[0x03] = "Hardware Failure",
	[0x04] = "Page Timeout",
	[0x05] = "Authentication Failure",
	[0x06] = "PIN or Key Missing",
	[0x07] = "Memory Capacity Exceeded",
	[0x08] = "Connection Timeout",
	[0x09] = "Connection Limit Exceeded",
	[0x0a] = "Synchronous Connection Limit To A Device Exceeded",
	[0x0b] = "Connection Already Exists",
	[0x0c] = "Command Disallowed",
	[0x0d] = "Connection Rejected due to Limited Resources",
	[0x0e] = "Connection Rejected Due To Security Reasons",
	[0x0f] = "Connection Rejected due to Unacceptable BD_ADDR",
	[0x10] = "Connection Accept Timeout Exceeded",
	[0x11] = "Unsupported Feature or Parameter Value",
	[0x12] = "Invalid HCI Command Parameters",
	[0x13] = "Remote User Terminated Connection",
	[0x14] = "Remote Device Terminated Connection due to Low Resources",
	[0x15] = "Remote Device Terminated Connection due to Power Off",
	[0x16] = "Connection Terminated By Local Host",
	[0x17] = "Repeated Attempts",
	[0x18] = "Pairing Not Allowed",
	[0x19] = "Unknown LMP PDU",
	[0x1a] = "Unsupported Remote Feature",
	[0x1b] = "SCO Offset Rejected",
	[0x1c] = "SCO Interval Rejected",
	[0x1d] = "SCO Air Mode Rejected",
	[0x1e] = "Invalid LMP Parameters / Invalid LL Parameters",
	[0x1f] = "Unspecified Error",
	[0x20] = "Unsupported LMP Parameter Value / Unsupported LL Parameter Value",
	[0x21] = "Role Change Not Allowed",
	[0x22] = "LMP Response Timeout / LL Response Timeout",
	[0x23] = "LMP Error Transaction Collision / LL Procedure Collision",
	[0x24] = "LMP PDU Not Allowed",
	[0x25] = "Encryption Mode Not Acceptable",
	[0x26] = "Link Key cannot be Changed",
	[0x27] = "Requested QoS Not Supported",
	[0x28] = "Instant Passed",
	[0x29] = "Pairing With Unit Key Not Supported",
	[0x2a] = "Different Transaction Collision",
	[0x2c] = "QoS Unacceptable Parameter",
	[0x2d] = "QoS Rejected",
	[0x2e] = "Channel Classification Not Supported",
	[0x2f] = "Insufficient Security",
	[0x30] = "Parameter Out Of Mandatory Range",
	[0x32] = "Role Switch Pending",
	[0x34] = "Reserved Slot Violation",
	[0x35] = "Role Switch Failed",
	[0x36] = "Extended Inquiry Response Too Large",
	[0x37] = "Secure Simple Pairing Not Supported By Host",
	[0x38] = "Host Busy - Pairing",
	[0x39] = "Connection Rejected due to No Suitable Channel Found",
	[0x3a] = "Controller Busy",
	[0x3b] = "Unacceptable Connection Parameters",
	[0x3c] = "Advertising Timeout",
	[0x3d] = "Connection Terminated due to MIC Failure",
	[0x3e] = "Connection Failed to be Established",
	[0x3f] = "Previously used",
	[0x40] = "Coarse Clock Adjustment Rejected but Will Try to Adjust Using Clock Dragging",
	[0x41] = "Type0 Submap Not Defined",
	[0x42] = "Unknown Advertising Identifier",
	[0x43] = "Limit Reached",
	[0x44] = "Operation Cancelled by Host",
	[0x45] = "Packet Too Long",
};

static const char *const smp_names[] = {
	[0x01] = "Passkey Entry Failed",
	[0x02] = "OOB Not Available",
	[0x03] = "Authentication Requirements",
	[0x04] = "Confirm Value Failed",
	[0x05] = "Pairing Not Supported",
	[0x06] = "Encryption Key Size",
	[0x07] = "Command Not Supported",
	[0x08] = "Unspecified Reason",
	[0x09] = "Repeated Attempts",
	[0x0a] = "Invalid Parameters",
	[0x0b] = "DHKey Check Failed",
	[0x0c] = "Numeric Comparison Failed",
	[0x0d] = "BR/EDR Pairing in Progress",
	[0x0e] = "Cross-transport Key Derivation/Generation Not Allowed",
	[0x0f] = "Key Rejected",
	[0x10] = "Busy",
};

/* LE credit based connection results. */
static const char *const l2cap_names[] = {
	[0x0002] = "SPSM Not Supported",
	[0x0004] = "No Resources Available",
	[0x0005] = "Insufficient Authentication",
	[0x0006] = "Insufficient Authorization",
	[0x0007] = "Encryption Key Size Too Short",
	[0x0008] = "Insufficient Encryption",
	[0x0009] = "Invalid Source CID",
	[0x000a] = "Source CID Already Allocated",
	[0x000b] = "Unacceptable Parameters",
	[0x000c] = "Invalid Parameters",
	[0x000d] = "No Further Information Available",
	[0x000e] = "Authentication Pending",
	[0x000f] = "Authorization Pending",
};

static const char *lookup(const char *const *t, size_t n, int code)
{
	return code >= 0 && (size_t)code < n && t[code] ? t[code] : NULL;
}

const char *ctl_att_error_name(int code)
{
	if (code >= 0x80 && code <= 0x9f)
		return "Application Error";
	if (code >= 0xe0 && code <= 0xfb)
		return "Common Profile and Service Error";
	return lookup(att_names, N(att_names), code);
}

const char *ctl_hci_status_name(int code)
{
	return lookup(hci_names, N(hci_names), code);
}

const char *ctl_smp_reason_name(int code)
{
	return lookup(smp_names, N(smp_names), code);
}

const char *ctl_l2cap_result_name(int code)
{
	return lookup(l2cap_names, N(l2cap_names), code);
}

const char *ctl_domain_name(int domain)
{
	switch (domain) {
	case HIVE__RESULT__DOMAIN__HCI:
		return "hci";
	case HIVE__RESULT__DOMAIN__L2CAP:
		return "l2cap";
	case HIVE__RESULT__DOMAIN__ATT:
		return "att";
	case HIVE__RESULT__DOMAIN__SMP:
		return "smp";
	default:
		return "local";
	}
}

void ctl_code_text(int domain, int code, char *out, size_t cap)
{
	const char *name = NULL, *what = NULL;
	int width = 2;
	switch (domain) {
	case HIVE__RESULT__DOMAIN__HCI:
		what = "HCI status";
		name = ctl_hci_status_name(code);
		break;
	case HIVE__RESULT__DOMAIN__L2CAP:
		what = "L2CAP result";
		name = ctl_l2cap_result_name(code);
		width = 4;
		break;
	case HIVE__RESULT__DOMAIN__ATT:
		what = "ATT error";
		name = ctl_att_error_name(code);
		break;
	case HIVE__RESULT__DOMAIN__SMP:
		what = "SMP";
		name = ctl_smp_reason_name(code);
		break;
	default:
		/* Local failures are negative errno values. */
		if (code < 0)
			snprintf(out, cap, "%s", strerror(-code));
		else
			snprintf(out, cap, "status %d", code);
		return;
	}
	snprintf(out, cap, "%s 0x%0*x %s", what, width, (unsigned)code,
		 name ? name : "(unknown code)");
}

void ctl_result_text(const Hive__Result *r, char *out, size_t cap)
{
	char reason[160];
	ctl_code_text((int)r->domain, r->status, reason, sizeof reason);
	const char *err = r->error && *r->error ? r->error : NULL;
	/* A local failure: the actor's words say it all (errno's go to JSON). */
	if (err && (r->domain == HIVE__RESULT__DOMAIN__LOCAL || strstr(err, reason)))
		snprintf(out, cap, "%s", err);
	else if (err)
		snprintf(out, cap, "%s (%s)", err, reason);
	else
		snprintf(out, cap, "%s", reason);
}
