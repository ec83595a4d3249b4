/* Transport spec parsing: every form, canonical formatting, and the error
 * words for specs that do not parse. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../actors/hci/hci_spec.h"

static struct hci_spec parse_ok(const char *text)
{
	struct hci_spec s;
	char err[512];
	int rc = hci_spec_parse(text, &s, err, sizeof err);
	cr_assert_eq(rc, 0, "'%s' did not parse: %s", text, err);
	return s;
}

/* Fails to parse, and the explanation contains want. */
static void parse_bad(const char *text, const char *want)
{
	struct hci_spec s;
	char err[512];
	int rc = hci_spec_parse(text, &s, err, sizeof err);
	cr_assert_lt(rc, 0, "'%s' parsed but should not", text ? text : "(null)");
	cr_assert(strstr(err, want), "'%s': error '%s' does not say '%s'", text ? text : "(null)",
		  err, want);
	cr_assert_eq(s.kind, HCI_TRANSPORT_NONE);
}

static void round_trip(const char *text, const char *canonical)
{
	struct hci_spec s = parse_ok(text), again;
	char buf[600], err[512];
	hci_spec_format(&s, buf, sizeof buf);
	cr_assert_str_eq(buf, canonical, "'%s' formats as '%s'", text, buf);
	cr_assert_eq(hci_spec_parse(buf, &again, err, sizeof err), 0, "%s", err);
	cr_assert(memcmp(&s, &again, sizeof s) == 0, "'%s' does not parse back the same", buf);
}

Test(hci_spec, usb_by_index)
{
	struct hci_spec s = parse_ok("usb:0");
	cr_assert_eq(s.kind, HCI_TRANSPORT_USB);
	cr_assert_not(s.usb.by_id);
	cr_assert_eq(s.usb.index, 0);
	s = parse_ok("usb:3");
	cr_assert_eq(s.usb.index, 3);
	round_trip("usb:12", "usb:12");
}

Test(hci_spec, usb_by_ids)
{
	struct hci_spec s = parse_ok("usb:0A12:0001");
	cr_assert(s.usb.by_id);
	cr_assert_eq(s.usb.vid, 0x0a12);
	cr_assert_eq(s.usb.pid, 0x0001);
	cr_assert_str_eq(s.usb.serial, "");
	s = parse_ok("usb:2fe3:100/ABC123");
	cr_assert_eq(s.usb.vid, 0x2fe3);
	cr_assert_eq(s.usb.pid, 0x0100);
	cr_assert_str_eq(s.usb.serial, "ABC123");
	s = parse_ok("usb:8087:0aaa#1");
	cr_assert_eq(s.usb.index, 1);
	round_trip("usb:A12:1", "usb:0a12:0001");
	round_trip("usb:0a12:0001/X-9", "usb:0a12:0001/X-9");
	round_trip("usb:0a12:0001#2", "usb:0a12:0001#2");
}

Test(hci_spec, serial)
{
	struct hci_spec s = parse_ok("serial:/dev/ttyUSB0");
	cr_assert_eq(s.kind, HCI_TRANSPORT_SERIAL);
	cr_assert_str_eq(s.serial.device, "/dev/ttyUSB0");
	cr_assert_eq(s.serial.baud, HCI_SPEC_DEFAULT_BAUD);
	cr_assert_not(s.serial.rtscts);
	cr_assert_not(s.serial.h5);
	cr_assert_not(s.serial.even_parity);
	s = parse_ok("serial:/dev/ttyACM1,115200,rtscts");
	cr_assert_eq(s.serial.baud, 115200);
	cr_assert(s.serial.rtscts);
	s = parse_ok("serial:/dev/ttyS0,3000000,h5");
	cr_assert(s.serial.h5);
	cr_assert(s.serial.even_parity, "H5 is even parity unless told");
	cr_assert_not(s.serial.crc);
	s = parse_ok("serial:/dev/ttyS0,h5,crc,parity=none,921600");
	cr_assert(s.serial.crc);
	cr_assert_not(s.serial.even_parity);
	cr_assert_eq(s.serial.baud, 921600);
	s = parse_ok("serial:/dev/ttyS0,parity=even");
	cr_assert(s.serial.even_parity);
	round_trip("serial:/dev/ttyUSB0", "serial:/dev/ttyUSB0,1000000");
	round_trip("serial:/dev/x,h5,115200,rtscts,crc", "serial:/dev/x,115200,rtscts,h5,crc");
	round_trip("serial:/dev/x,h5,parity=none", "serial:/dev/x,1000000,h5,parity=none");
	round_trip("serial:/dev/x,parity=even", "serial:/dev/x,1000000,parity=even");
}

Test(hci_spec, tcp_and_unix)
{
	struct hci_spec s = parse_ok("tcp-client:127.0.0.1:9001");
	cr_assert_eq(s.kind, HCI_TRANSPORT_TCP_CLIENT);
	cr_assert_str_eq(s.tcp.host, "127.0.0.1");
	cr_assert_eq(s.tcp.port, 9001);
	s = parse_ok("tcp-client:[::1]:9002");
	cr_assert_str_eq(s.tcp.host, "::1");
	cr_assert_eq(s.tcp.port, 9002);
	s = parse_ok("tcp-server:_:9003");
	cr_assert_eq(s.kind, HCI_TRANSPORT_TCP_SERVER);
	cr_assert_str_eq(s.tcp.host, "");
	s = parse_ok("tcp-server::9003");
	cr_assert_str_eq(s.tcp.host, "");
	s = parse_ok("tcp-server:0.0.0.0:65535");
	cr_assert_eq(s.tcp.port, 65535);
	s = parse_ok("unix:/run/hive/ctrl0");
	cr_assert_eq(s.kind, HCI_TRANSPORT_UNIX);
	cr_assert_str_eq(s.unix_path, "/run/hive/ctrl0");
	round_trip("tcp-client:localhost:1", "tcp-client:localhost:1");
	round_trip("tcp-client:[fe80::1]:80", "tcp-client:[fe80::1]:80");
	round_trip("tcp-server:_:9000", "tcp-server:_:9000");
	round_trip("unix:rel/path", "unix:rel/path");
}

Test(hci_spec, bad_specs_say_what_to_do)
{
	parse_bad(NULL, "no transport given");
	parse_bad("", "no transport given");
	parse_bad("tcp-client:localhost",
		  "transport 'tcp-client:localhost' is not valid: expected tcp-client:HOST:PORT");
	parse_bad("tcp-client::9000", "the host is missing");
	parse_bad("tcp-client:h:0", "PORT from 1 to 65535");
	parse_bad("tcp-client:h:65536", "PORT from 1 to 65535");
	parse_bad("tcp-client:h:12ab", "PORT from 1 to 65535");
	parse_bad("tcp-client:::1:80", "in brackets");
	parse_bad("tcp-client:[::1:80", "expected tcp-client:[IPV6]:PORT");
	parse_bad("tcp-server:9000", "expected tcp-server:HOST:PORT");
	parse_bad("usb:", "expected usb:INDEX");
	parse_bad("usb:x", "expected usb:INDEX");
	parse_bad("usb:-1", "expected usb:INDEX");
	parse_bad("usb:12345:1", "vendor id '12345'");
	parse_bad("usb:0a12:", "product id ''");
	parse_bad("usb:0a12:zz", "product id 'zz'");
	parse_bad("usb:0a12:0001/", "serial number");
	parse_bad("usb:0a12:0001#x", "index after '#'");
	parse_bad("serial:", "expected serial:DEVICE");
	parse_bad("serial:,115200", "expected serial:DEVICE");
	parse_bad("serial:/dev/ttyUSB0,12345", "baud rate '12345' is not a standard rate");
	parse_bad("serial:/dev/ttyUSB0,115200,9600", "two baud rates");
	parse_bad("serial:/dev/ttyUSB0,flow", "unknown serial option 'flow'");
	parse_bad("serial:/dev/ttyUSB0,crc", "crc is an H5 option");
	parse_bad("serial:/dev/ttyUSB0,h4,h5", "h4 or h5 once");
	parse_bad("unix:", "expected unix:PATH");
	char longpath[300] = "unix:/";
	memset(longpath + 6, 'a', 200);
	parse_bad(longpath, "at most 107 characters");
	parse_bad("bluetooth:0", "unknown kind 'bluetooth'");
	parse_bad("/dev/ttyUSB0", "expected KIND:ARGS");
}

Test(hci_spec, standard_bauds)
{
	cr_assert(hci_spec_baud_standard(115200));
	cr_assert(hci_spec_baud_standard(1000000));
	cr_assert(hci_spec_baud_standard(4000000));
	cr_assert_not(hci_spec_baud_standard(0));
	cr_assert_not(hci_spec_baud_standard(1000001));
}

Test(hci_spec, small_error_buffer_is_safe)
{
	struct hci_spec s;
	char err[8];
	cr_assert_lt(hci_spec_parse("tcp-client:localhost", &s, err, sizeof err), 0);
	cr_assert_eq(strlen(err), sizeof err - 1);
	cr_assert_lt(hci_spec_parse("tcp-client:localhost", &s, NULL, 0), 0);
}
