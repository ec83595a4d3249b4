#!/usr/bin/env python3
"""hive-gatt in Python: a custom gatt actor that serves its own small database.

    python3 examples/python/hive_gatt.py [--name gatt] [--run-dir DIR] [--replace]
            [--set name=DEVICE_NAME] [--set greeting=TEXT] [--set l2cap=NAME]
            [--log-level LEVEL]
    python3 examples/python/hive_gatt.py --check   # are the modules and protoc there?

A drop-in for the stock hive-gatt on the server side: it takes LinkEvents
from host and ChannelPdus on CID 4 (ATT) from l2cap, and answers with
ChannelPdus to l2cap. It serves

    0x0001 GAP service 1800
    0x0002   Device Name 2a00 (read)              "hive-python" (--set name=)
    0x0004   Appearance  2a01 (read)              0x0000
    0x0006 service 48697665-0001-4000-8000-707974686f6e
    0x0007   greeting 48697665-0002-... (read)    "hello from python" (--set greeting=)
    0x0009   scratch  48697665-0003-... (read, write, write without response)

and answers Exchange MTU, Find Information, Find By Type Value, Read By
Type, Read, Read Blob, Read By Group Type, Write Request and Write Command;
every other request gets Error Response "Request Not Supported". It is a
server only: Request.gatt from apps is answered with -ENOTSUP (the stock
actor also runs GATT client procedures).

Its per-connection state (ATT_MTU, encryption) is saved with the broker in
the stock actor's snapshot layout (actors/gatt/gatt_actor.c, version 1), so
a stock hive-gatt that takes over with --replace resumes the link with the
MTU that was negotiated, and this actor resumes after a stock one likewise.
"""

import errno
import os
import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

if "--check" in sys.argv[1:]:
    # The test suite asks before it relies on us. hive_actor re-executes
    # under Debian's python3 when this one lacks the modules.
    import hive_actor  # noqa: E402
    try:
        hive_actor.load_messages()
    except Exception as e:
        sys.stderr.write("hive_gatt.py: %s\n" % e)
        sys.exit(2)
    print("ok: %s with zmq, protobuf and protoc" % sys.executable)
    sys.exit(0)

import hive_actor  # noqa: E402
from hive_actor import DEBUG, ERROR, INFO, WARN  # noqa: E402

ATT_CID = 0x0004
DEFAULT_MTU = 23
SERVER_MTU = 517
MAX_VALUE_LEN = 512

# ---- ATT (Core Vol 3 Part F) -----------------------------------------------------------------

ERROR_RSP = 0x01
EXCHANGE_MTU_REQ, EXCHANGE_MTU_RSP = 0x02, 0x03
FIND_INFO_REQ, FIND_INFO_RSP = 0x04, 0x05
FIND_BY_TYPE_VALUE_REQ, FIND_BY_TYPE_VALUE_RSP = 0x06, 0x07
READ_BY_TYPE_REQ, READ_BY_TYPE_RSP = 0x08, 0x09
READ_REQ, READ_RSP = 0x0A, 0x0B
READ_BLOB_REQ, READ_BLOB_RSP = 0x0C, 0x0D
READ_BY_GROUP_TYPE_REQ, READ_BY_GROUP_TYPE_RSP = 0x10, 0x11
WRITE_REQ, WRITE_RSP = 0x12, 0x13
WRITE_CMD = 0x52
HANDLE_VALUE_CFM = 0x1E
COMMAND_FLAG = 0x40

# The opcodes a server must answer (requests); responses, notifications,
# indications and confirmations belong to a client and are not ours.
CLIENT_BOUND = {0x01, 0x03, 0x05, 0x07, 0x09, 0x0B, 0x0D, 0x0F, 0x11, 0x13, 0x17, 0x19, 0x1B,
                0x1D, 0x21, 0x23}

E_INVALID_HANDLE = 0x01
E_READ_NOT_PERMITTED = 0x02
E_WRITE_NOT_PERMITTED = 0x03
E_INVALID_PDU = 0x04
E_REQUEST_NOT_SUPPORTED = 0x06
E_INVALID_OFFSET = 0x07
E_ATTRIBUTE_NOT_FOUND = 0x0A
E_ATTRIBUTE_NOT_LONG = 0x0B
E_INVALID_ATTRIBUTE_VALUE_LENGTH = 0x0D
E_UNSUPPORTED_GROUP_TYPE = 0x10

PRIMARY_SERVICE = 0x2800
SECONDARY_SERVICE = 0x2801
CHARACTERISTIC = 0x2803

PROP_READ, PROP_WRITE_NO_RSP, PROP_WRITE = 0x02, 0x04, 0x08

BASE_UUID = bytes.fromhex("fb349b5f80000080001000000000")  # bytes 0..11 of the base, LE


def uuid_bytes(text):
    """"2a00" or "48697665-0001-4000-8000-707974686f6e" -> little-endian bytes."""
    h = text.replace("-", "")
    if len(h) not in (4, 32):
        raise ValueError("%s: a UUID is 16-bit (4 hex digits) or 128-bit" % text)
    return bytes.fromhex(h)[::-1]


def uuid128(b):
    """Any UUID as its 16 little-endian bytes."""
    if len(b) == 2:
        return BASE_UUID[:12] + b + b"\x00\x00"
    return bytes(b)


def uuid16(value):
    return struct.pack("<H", value)


class Attr:
    __slots__ = ("handle", "type", "value", "readable", "writable", "end")

    def __init__(self, handle, type_, value, readable=True, writable=False):
        self.handle = handle
        self.type = type_          # little-endian UUID bytes, 2 or 16
        self.value = bytearray(value)
        self.readable = readable
        self.writable = writable
        self.end = handle          # the group end of a service declaration

    def is_type(self, u):
        return uuid128(self.type) == uuid128(u)


class Database:
    """Attributes in handle order, built service by service."""

    def __init__(self):
        self.attrs = []
        self.service_decl = None

    def _add(self, type_, value, readable=True, writable=False):
        a = Attr(len(self.attrs) + 1, type_, value, readable, writable)
        self.attrs.append(a)
        if self.service_decl:
            self.service_decl.end = a.handle
        return a

    def service(self, uuid, primary=True):
        self.service_decl = None
        self.service_decl = self._add(uuid16(PRIMARY_SERVICE if primary else SECONDARY_SERVICE),
                                      uuid_bytes(uuid))
        return self.service_decl

    def characteristic(self, uuid, props, value=b""):
        handle = len(self.attrs) + 1
        u = uuid_bytes(uuid)
        self._add(uuid16(CHARACTERISTIC), struct.pack("<BH", props, handle + 1) + u)
        return self._add(u, value, readable=bool(props & PROP_READ),
                         writable=bool(props & (PROP_WRITE | PROP_WRITE_NO_RSP)))

    def get(self, handle):
        return self.attrs[handle - 1] if 1 <= handle <= len(self.attrs) else None

    def range(self, start, end):
        return [a for a in self.attrs[start - 1:end]] if start >= 1 else []


SERVICE_UUID = "48697665-0001-4000-8000-707974686f6e"
GREETING_UUID = "48697665-0002-4000-8000-707974686f6e"
SCRATCH_UUID = "48697665-0003-4000-8000-707974686f6e"


def build_database(device_name, greeting):
    db = Database()
    db.service("1800")
    db.characteristic("2a00", PROP_READ, device_name.encode())
    db.characteristic("2a01", PROP_READ, struct.pack("<H", 0))
    db.service(SERVICE_UUID)
    db.characteristic(GREETING_UUID, PROP_READ, greeting.encode())
    db.characteristic(SCRATCH_UUID, PROP_READ | PROP_WRITE | PROP_WRITE_NO_RSP, b"")
    return db


class Conn:
    __slots__ = ("handle", "mtu", "mtu_exchanged", "encrypted", "key_size")

    def __init__(self, handle):
        self.handle = handle
        self.mtu = DEFAULT_MTU
        self.mtu_exchanged = False
        self.encrypted = False
        self.key_size = 0


def error_rsp(req_opcode, handle, code):
    return struct.pack("<BBHB", ERROR_RSP, req_opcode, handle, code)


class AttServer:
    """ATT server logic, no sockets: pdu(conn, bytes) -> response bytes or None."""

    def __init__(self, db):
        self.db = db

    def pdu(self, c, p):
        if not p:
            return None
        op = p[0]
        if op in CLIENT_BOUND or op == HANDLE_VALUE_CFM:
            return None
        is_command = bool(op & COMMAND_FLAG)
        if len(p) > c.mtu:
            return None if is_command else error_rsp(op, 0, E_INVALID_PDU)
        handler = {
            EXCHANGE_MTU_REQ: self.exchange_mtu,
            FIND_INFO_REQ: self.find_information,
            FIND_BY_TYPE_VALUE_REQ: self.find_by_type_value,
            READ_BY_TYPE_REQ: self.read_by_type,
            READ_REQ: self.read,
            READ_BLOB_REQ: self.read_blob,
            READ_BY_GROUP_TYPE_REQ: self.read_by_group_type,
            WRITE_REQ: self.write,
            WRITE_CMD: self.write,
        }.get(op)
        if handler is None:
            # Unknown commands are ignored (Core Vol 3 Part F 3.4.9).
            return None if is_command else error_rsp(op, 0, E_REQUEST_NOT_SUPPORTED)
        try:
            return handler(c, op, p)
        except struct.error:
            return None if is_command else error_rsp(op, 0, E_INVALID_PDU)

    @staticmethod
    def _range(op, p):
        """(start, end, rest) of a handle-range request, or an Error Response."""
        start, end = struct.unpack_from("<HH", p, 1)
        if start == 0 or start > end:
            return None, error_rsp(op, start, E_INVALID_HANDLE)
        return (start, end, p[5:]), None

    def exchange_mtu(self, c, op, p):
        if len(p) != 3:
            return error_rsp(op, 0, E_INVALID_PDU)
        (client,) = struct.unpack_from("<H", p, 1)
        if not c.mtu_exchanged:  # once per connection
            c.mtu_exchanged = True
            c.mtu = max(DEFAULT_MTU, min(client, SERVER_MTU))
        return struct.pack("<BH", EXCHANGE_MTU_RSP, SERVER_MTU)

    def find_information(self, c, op, p):
        if len(p) != 5:
            return error_rsp(op, 0, E_INVALID_PDU)
        r, err = self._range(op, p)
        if err:
            return err
        start, end, _ = r
        out, fmt = bytearray(), None
        for a in self.db.range(start, end):
            f = 1 if len(a.type) == 2 else 2
            if fmt is None:
                fmt = f
            if f != fmt or 2 + len(out) + 2 + len(a.type) > c.mtu:
                break
            out += struct.pack("<H", a.handle) + a.type
        if fmt is None:
            return error_rsp(op, start, E_ATTRIBUTE_NOT_FOUND)
        return bytes([FIND_INFO_RSP, fmt]) + out

    def find_by_type_value(self, c, op, p):
        if len(p) < 7:
            return error_rsp(op, 0, E_INVALID_PDU)
        r, err = self._range(op, p)
        if err:
            return err
        start, end, rest = r
        (type16,) = struct.unpack_from("<H", rest, 0)
        value = bytes(rest[2:])
        out = bytearray()
        for a in self.db.range(start, end):
            if not a.is_type(uuid16(type16)) or bytes(a.value) != value:
                continue
            if 1 + len(out) + 4 > c.mtu:
                break
            group_end = a.end if type16 in (PRIMARY_SERVICE, SECONDARY_SERVICE) else a.handle
            out += struct.pack("<HH", a.handle, group_end)
        if not out:
            return error_rsp(op, start, E_ATTRIBUTE_NOT_FOUND)
        return bytes([FIND_BY_TYPE_VALUE_RSP]) + out

    def read_by_type(self, c, op, p):
        if len(p) not in (7, 21):
            return error_rsp(op, 0, E_INVALID_PDU)
        r, err = self._range(op, p)
        if err:
            return err
        start, end, u = r
        out, length = bytearray(), None
        for a in self.db.range(start, end):
            if not a.is_type(u):
                continue
            if not a.readable:
                if length is None:
                    return error_rsp(op, a.handle, E_READ_NOT_PERMITTED)
                break
            v = bytes(a.value[:min(c.mtu - 4, 253)])
            if length is None:
                length = 2 + len(v)
            if 2 + len(v) != length or 2 + len(out) + length > c.mtu:
                break
            out += struct.pack("<H", a.handle) + v
        if length is None:
            return error_rsp(op, start, E_ATTRIBUTE_NOT_FOUND)
        return bytes([READ_BY_TYPE_RSP, length]) + out

    def read(self, c, op, p):
        if len(p) != 3:
            return error_rsp(op, 0, E_INVALID_PDU)
        (handle,) = struct.unpack_from("<H", p, 1)
        a = self.db.get(handle)
        if a is None:
            return error_rsp(op, handle, E_INVALID_HANDLE)
        if not a.readable:
            return error_rsp(op, handle, E_READ_NOT_PERMITTED)
        return bytes([READ_RSP]) + bytes(a.value[:c.mtu - 1])

    def read_blob(self, c, op, p):
        if len(p) != 5:
            return error_rsp(op, 0, E_INVALID_PDU)
        handle, offset = struct.unpack_from("<HH", p, 1)
        a = self.db.get(handle)
        if a is None:
            return error_rsp(op, handle, E_INVALID_HANDLE)
        if not a.readable:
            return error_rsp(op, handle, E_READ_NOT_PERMITTED)
        if offset > len(a.value):
            return error_rsp(op, handle, E_INVALID_OFFSET)
        return bytes([READ_BLOB_RSP]) + bytes(a.value[offset:offset + c.mtu - 1])

    def read_by_group_type(self, c, op, p):
        if len(p) not in (7, 21):
            return error_rsp(op, 0, E_INVALID_PDU)
        r, err = self._range(op, p)
        if err:
            return err
        start, end, u = r
        if uuid128(u) not in (uuid128(uuid16(PRIMARY_SERVICE)),
                              uuid128(uuid16(SECONDARY_SERVICE))):
            return error_rsp(op, start, E_UNSUPPORTED_GROUP_TYPE)
        out, length = bytearray(), None
        for a in self.db.range(start, end):
            if not a.is_type(u):
                continue
            v = bytes(a.value[:min(c.mtu - 6, 251)])
            if length is None:
                length = 4 + len(v)
            if 4 + len(v) != length or 2 + len(out) + length > c.mtu:
                break
            out += struct.pack("<HH", a.handle, a.end) + v
        if length is None:
            return error_rsp(op, start, E_ATTRIBUTE_NOT_FOUND)
        return bytes([READ_BY_GROUP_TYPE_RSP, length]) + out

    def write(self, c, op, p):
        if len(p) < 3:
            return None if op == WRITE_CMD else error_rsp(op, 0, E_INVALID_PDU)
        (handle,) = struct.unpack_from("<H", p, 1)
        value = p[3:]
        a = self.db.get(handle)
        code = 0
        if a is None:
            code = E_INVALID_HANDLE
        elif not a.writable:
            code = E_WRITE_NOT_PERMITTED
        elif len(value) > MAX_VALUE_LEN:
            code = E_INVALID_ATTRIBUTE_VALUE_LENGTH
        if code:
            return None if op == WRITE_CMD else error_rsp(op, handle, code)
        a.value[:] = value
        return None if op == WRITE_CMD else bytes([WRITE_RSP])


# ---- the actor -------------------------------------------------------------------------------

SNAP_VERSION = 1  # the layout of gatt_actor_snapshot() in actors/gatt/gatt_actor.c


class GattActor:
    def __init__(self, actor):
        self.a = actor
        self.pb = actor.pb
        self.l2cap = actor.config("l2cap", "l2cap")
        name = actor.config("name", "hive-python")
        greeting = actor.config("greeting", "hello from python")
        self.db = build_database(name, greeting)
        self.server = AttServer(self.db)
        self.conns = {}
        self.pdus_in = 0
        if actor.snapshot:
            ok = self.restore(actor.snapshot)
            actor.log(INFO, "resumed %d connection(s) from the snapshot%s", len(self.conns),
                      "" if ok else " (partly: it is malformed)")
        actor.on("pdu", self.on_pdu)
        actor.on("link", self.on_link)
        actor.on("request", self.on_request)

    # ---- snapshot: the stock actor's layout, without CCCDs or subscribers

    def save(self):
        b = bytearray([SNAP_VERSION, min(len(self.conns), 255)])
        for c in list(self.conns.values())[:255]:
            flags = (1 if c.encrypted else 0) | (8 if c.encrypted else 0)
            b += struct.pack("<HHBBH", c.handle, c.mtu, flags, c.key_size, 0)
        b.append(0)  # no event subscribers
        self.a.save_snapshot(b)

    def restore(self, data):
        try:
            if data[0] != SNAP_VERSION:
                return False
            n, at = data[1], 2
            for _ in range(n):
                handle, mtu, flags, key_size, ncccd = struct.unpack_from("<HHBBH", data, at)
                at += 8 + 4 * ncccd  # CCCDs of the stock database mean nothing here
                c = self.conns.setdefault(handle, Conn(handle))
                c.mtu = max(DEFAULT_MTU, min(mtu, SERVER_MTU))
                c.mtu_exchanged = c.mtu != DEFAULT_MTU
                c.encrypted = bool(flags & 1)
                c.key_size = key_size
            return True
        except (IndexError, struct.error):
            return False

    # ---- input

    def conn(self, handle):
        c = self.conns.get(handle)
        if c is None:
            c = self.conns[handle] = Conn(handle)
        return c

    def on_pdu(self, source, env):
        cp = env.pdu
        if cp.cid != ATT_CID or cp.handle > 0x0EFF:
            self.a.log(WARN, "channel PDU from %s on cid 0x%04x handle 0x%04x ignored: gatt "
                       "serves cid 0x0004", source, cp.cid, cp.handle)
            return
        self.pdus_in += 1
        known = cp.handle in self.conns
        c = self.conn(cp.handle)
        mtu = c.mtu
        p = bytes(cp.payload)
        rsp = self.server.pdu(c, p)
        self.a.log(DEBUG, "<<< 0x%02x conn=0x%04x len=%d -> %s", p[0] if p else 0, cp.handle,
                   len(p), "0x%02x len=%d" % (rsp[0], len(rsp)) if rsp else "nothing")
        if rsp:
            out = self.pb.ChannelPdu(handle=cp.handle, cid=ATT_CID, payload=rsp)
            self.a.send(self.l2cap, self.pb.Envelope(pdu=out))
        if not known or c.mtu != mtu:
            self.save()

    def on_link(self, source, env):
        le = env.link
        kind = le.WhichOneof("kind")
        h = le.handle
        if kind == "connected":
            self.conns[h] = Conn(h)
        elif kind == "disconnected":
            self.conns.pop(h, None)
        elif kind == "encryption_changed":
            ec = le.encryption_changed
            c = self.conn(h)
            c.encrypted = ec.enabled and ec.status == 0
            c.key_size = ec.key_size if c.encrypted else 0
        elif kind == "mtu_changed":
            c = self.conn(h)
            c.mtu = max(DEFAULT_MTU, min(le.mtu_changed.mtu, SERVER_MTU))
        else:
            return
        self.a.log(DEBUG, "link event %s on conn 0x%04x from %s", kind, h, source)
        self.save()

    def on_request(self, source, env):
        req = env.request
        res = self.pb.Result(id=req.id, status=-errno.ENOTSUP,
                             domain=self.pb.Result.LOCAL,
                             error="this gatt (examples/python/hive_gatt.py) is a server only: "
                                   "it serves its own database and runs no client procedures")
        self.a.send(source, self.pb.Envelope(result=res))


def main():
    try:
        pb = hive_actor.load_messages()
    except Exception as e:
        hive_actor.log("gatt", ERROR, "%s", e)
        return 1
    try:
        actor = hive_actor.Actor.from_args(pb, "gatt")
    except hive_actor.Refused as e:
        hive_actor.log("gatt", ERROR, "the broker refused us: %s", e)
        return 1
    except TimeoutError as e:
        hive_actor.log("gatt", ERROR, "%s", e)
        return 1
    g = GattActor(actor)
    actor.log(INFO, "serving %d attributes (Python, %s), ATT to %s", len(g.db.attrs),
              os.path.basename(__file__), g.l2cap)
    actor.ready()
    return actor.run()


if __name__ == "__main__":
    sys.exit(main())
