/* Transport spec parsing. Pure: strings in, a struct or an explanation out. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hci_spec.h"

const char hci_spec_forms[] =
	"usb:INDEX, usb:VID:PID[/SERIAL], serial:DEVICE[,BAUD][,rtscts][,h5], "
	"tcp-client:HOST:PORT, tcp-server:HOST:PORT or unix:PATH";

static const uint32_t standard_bauds[] = {
	1200,   1800,   2400,   4800,   9600,    19200,   38400,   57600,
	115200, 230400, 460800, 500000, 576000,  921600,  1000000, 1152000,
	1500000, 2000000, 2500000, 3000000, 3500000, 4000000,
};

bool hci_spec_baud_standard(uint32_t baud)
{
	for (size_t i = 0; i < sizeof standard_bauds / sizeof standard_bauds[0]; i++)
		if (standard_bauds[i] == baud)
			return true;
	return false;
}

static int fail(char *err, size_t cap, const char *text, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t cap, const char *text, const char *fmt, ...)
{
	if (err && cap) {
		int n = snprintf(err, cap, "transport '%s' is not valid: ", text);
		if (n >= 0 && (size_t)n < cap) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(err + n, cap - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return -EINVAL;
}

/* A whole unsigned number in [min, max] in the given base, nothing else. */
static bool parse_num(const char *s, size_t n, int base, unsigned long min, unsigned long max,
		      unsigned long *out)
{
	char tmp[32];
	if (n == 0 || n >= sizeof tmp)
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	for (size_t i = 0; i < n; i++) {
		char c = tmp[i];
		bool ok = base == 16 ? (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
					       (c >= 'A' && c <= 'F')
				     : c >= '0' && c <= '9';
		if (!ok)
			return false;
	}
	errno = 0;
	unsigned long v = strtoul(tmp, NULL, base);
	if (errno || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool copy_str(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

static int parse_usb(const char *text, const char *arg, struct hci_spec *o, char *err,
		     size_t cap)
{
	static const char form[] = "expected usb:INDEX, usb:VID:PID, usb:VID:PID/SERIAL or "
				   "usb:VID:PID#N (VID and PID in hex, e.g. usb:0a12:0001)";
	unsigned long v;
	const char *colon = strchr(arg, ':');
	if (!colon) {
		if (!parse_num(arg, strlen(arg), 10, 0, 255, &v))
			return fail(err, cap, text, "%s", form);
		o->usb.index = (unsigned)v;
		return 0;
	}
	o->usb.by_id = true;
	if (!parse_num(arg, (size_t)(colon - arg), 16, 0, 0xffff, &v))
		return fail(err, cap, text, "vendor id '%.*s' is not 1 to 4 hex digits; %s",
			    (int)(colon - arg), arg, form);
	o->usb.vid = (uint16_t)v;
	const char *pid = colon + 1;
	size_t pid_len = strcspn(pid, "/#");
	if (!parse_num(pid, pid_len, 16, 0, 0xffff, &v))
		return fail(err, cap, text, "product id '%.*s' is not 1 to 4 hex digits; %s",
			    (int)pid_len, pid, form);
	o->usb.pid = (uint16_t)v;
	const char *rest = pid + pid_len;
	if (*rest == '/') {
		rest++;
		if (!*rest || !copy_str(o->usb.serial, sizeof o->usb.serial, rest, strlen(rest)))
			return fail(err, cap, text, "the serial number after '/' must be 1 to %d "
				    "characters", HCI_SPEC_SERIAL_MAX - 1);
	} else if (*rest == '#') {
		rest++;
		if (!parse_num(rest, strlen(rest), 10, 0, 255, &v))
			return fail(err, cap, text, "the index after '#' must be a number from 0 "
				    "to 255");
		o->usb.index = (unsigned)v;
	}
	return 0;
}

static int parse_serial(const char *text, const char *arg, struct hci_spec *o, char *err,
			size_t cap)
{
	size_t dev_len = strcspn(arg, ",");
	if (dev_len == 0)
		return fail(err, cap, text, "expected serial:DEVICE[,BAUD][,rtscts][,h5] "
			    "(e.g. serial:/dev/ttyUSB0,1000000)");
	if (!copy_str(o->serial.device, sizeof o->serial.device, arg, dev_len))
		return fail(err, cap, text, "the device path is longer than %d characters",
			    HCI_SPEC_DEVICE_MAX - 1);
	o->serial.baud = HCI_SPEC_DEFAULT_BAUD;
	bool have_baud = false, have_framing = false, have_parity = false;
	const char *p = arg + dev_len;
	while (*p == ',') {
		p++;
		size_t n = strcspn(p, ",");
		unsigned long v;
		if (n == 6 && strncmp(p, "rtscts", n) == 0) {
			o->serial.rtscts = true;
		} else if (n == 2 && (strncmp(p, "h5", n) == 0 || strncmp(p, "h4", n) == 0)) {
			if (have_framing)
				return fail(err, cap, text, "give h4 or h5 once");
			have_framing = true;
			o->serial.h5 = p[1] == '5';
		} else if (n == 3 && strncmp(p, "crc", n) == 0) {
			o->serial.crc = true;
		} else if ((n == 11 && strncmp(p, "parity=even", n) == 0) ||
			   (n == 11 && strncmp(p, "parity=none", n) == 0)) {
			have_parity = true;
			o->serial.even_parity = p[7] == 'e';
		} else if (n > 0 && p[0] >= '0' && p[0] <= '9') {
			if (have_baud)
				return fail(err, cap, text, "two baud rates given");
			if (!parse_num(p, n, 10, 1, 0xffffffffu, &v) ||
			    !hci_spec_baud_standard((uint32_t)v))
				return fail(err, cap, text, "baud rate '%.*s' is not a standard rate "
					    "(e.g. 115200, 921600, 1000000, 3000000)", (int)n, p);
			have_baud = true;
			o->serial.baud = (uint32_t)v;
		} else {
			return fail(err, cap, text, "unknown serial option '%.*s'; options are a "
				    "baud rate, rtscts, h4, h5, crc and parity=even|none", (int)n, p);
		}
		p += n;
	}
	if (!have_parity)
		o->serial.even_parity = o->serial.h5;
	if (o->serial.crc && !o->serial.h5)
		return fail(err, cap, text, "crc is an H5 option; add h5 "
			    "(serial:DEVICE,BAUD,h5,crc)");
	return 0;
}

/* HOST:PORT with HOST possibly "[v6]"; for a server "_" or "" is any. */
static int parse_host_port(const char *text, const char *arg, struct hci_spec *o,
			   const char *scheme, bool server, char *err, size_t cap)
{
	const char *host = arg, *colon;
	size_t host_len;
	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');
		if (!close || close[1] != ':')
			return fail(err, cap, text, "expected %s:[IPV6]:PORT", scheme);
		host = arg + 1;
		host_len = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(arg, ':');
		if (!colon)
			return fail(err, cap, text, "expected %s:HOST:PORT", scheme);
		host_len = (size_t)(colon - arg);
		if (memchr(arg, ':', host_len))
			return fail(err, cap, text, "an IPv6 host goes in brackets: "
				    "%s:[::1]:PORT", scheme);
	}
	if (server && host_len == 1 && host[0] == '_')
		host_len = 0;
	if (host_len == 0 && !server)
		return fail(err, cap, text, "expected %s:HOST:PORT (the host is missing)", scheme);
	if (!copy_str(o->tcp.host, sizeof o->tcp.host, host, host_len))
		return fail(err, cap, text, "the host name is longer than %d characters",
			    HCI_SPEC_HOST_MAX - 1);
	unsigned long port;
	const char *ps = colon + 1;
	if (!parse_num(ps, strlen(ps), 10, 1, 65535, &port))
		return fail(err, cap, text, "expected %s:HOST:PORT with PORT from 1 to 65535",
			    scheme);
	o->tcp.port = (uint16_t)port;
	return 0;
}

int hci_spec_parse(const char *text, struct hci_spec *out, char *err, size_t errcap)
{
	memset(out, 0, sizeof *out);
	if (err && errcap)
		err[0] = '\0';
	if (!text || !*text) {
		if (err && errcap)
			snprintf(err, errcap, "no transport given: use --transport SPEC or --set "
				 "transport=SPEC with %s", hci_spec_forms);
		return -EINVAL;
	}
	const char *colon = strchr(text, ':');
	if (!colon)
		return fail(err, errcap, text, "expected KIND:ARGS with %s", hci_spec_forms);
	size_t kl = (size_t)(colon - text);
	const char *arg = colon + 1;
	int rc;
	if (kl == 3 && strncmp(text, "usb", kl) == 0) {
		out->kind = HCI_TRANSPORT_USB;
		rc = parse_usb(text, arg, out, err, errcap);
	} else if (kl == 6 && strncmp(text, "serial", kl) == 0) {
		out->kind = HCI_TRANSPORT_SERIAL;
		rc = parse_serial(text, arg, out, err, errcap);
	} else if (kl == 10 && strncmp(text, "tcp-client", kl) == 0) {
		out->kind = HCI_TRANSPORT_TCP_CLIENT;
		rc = parse_host_port(text, arg, out, "tcp-client", false, err, errcap);
	} else if (kl == 10 && strncmp(text, "tcp-server", kl) == 0) {
		out->kind = HCI_TRANSPORT_TCP_SERVER;
		rc = parse_host_port(text, arg, out, "tcp-server", true, err, errcap);
	} else if (kl == 4 && strncmp(text, "unix", kl) == 0) {
		out->kind = HCI_TRANSPORT_UNIX;
		if (!*arg)
			rc = fail(err, errcap, text, "expected unix:PATH");
		else if (!copy_str(out->unix_path, sizeof out->unix_path, arg, strlen(arg)))
			rc = fail(err, errcap, text, "a unix socket path has at most %d characters",
				  HCI_SPEC_UNIX_MAX);
		else
			rc = 0;
	} else {
		rc = fail(err, errcap, text, "unknown kind '%.*s'; use %s", (int)kl, text,
			  hci_spec_forms);
	}
	if (rc < 0) {
		memset(out, 0, sizeof *out);
		return rc;
	}
	return 0;
}

void hci_spec_format(const struct hci_spec *s, char *buf, size_t cap)
{
	switch (s->kind) {
	case HCI_TRANSPORT_USB:
		if (!s->usb.by_id)
			snprintf(buf, cap, "usb:%u", s->usb.index);
		else if (s->usb.serial[0])
			snprintf(buf, cap, "usb:%04x:%04x/%s", s->usb.vid, s->usb.pid, s->usb.serial);
		else if (s->usb.index)
			snprintf(buf, cap, "usb:%04x:%04x#%u", s->usb.vid, s->usb.pid, s->usb.index);
		else
			snprintf(buf, cap, "usb:%04x:%04x", s->usb.vid, s->usb.pid);
		break;
	case HCI_TRANSPORT_SERIAL:
		snprintf(buf, cap, "serial:%s,%u%s%s%s%s", s->serial.device, s->serial.baud,
			 s->serial.rtscts ? ",rtscts" : "", s->serial.h5 ? ",h5" : "",
			 s->serial.crc ? ",crc" : "",
			 s->serial.even_parity == s->serial.h5 ? ""
			 : s->serial.even_parity ? ",parity=even" : ",parity=none");
		break;
	case HCI_TRANSPORT_TCP_CLIENT:
	case HCI_TRANSPORT_TCP_SERVER: {
		const char *kind = s->kind == HCI_TRANSPORT_TCP_CLIENT ? "tcp-client" : "tcp-server";
		const char *host = s->tcp.host[0] ? s->tcp.host : "_";
		bool v6 = strchr(host, ':') != NULL;
		snprintf(buf, cap, "%s:%s%s%s:%u", kind, v6 ? "[" : "", host, v6 ? "]" : "",
			 s->tcp.port);
		break;
	}
	case HCI_TRANSPORT_UNIX:
		snprintf(buf, cap, "unix:%s", s->unix_path);
		break;
	default:
		snprintf(buf, cap, "none");
		break;
	}
}
