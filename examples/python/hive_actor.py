"""A tiny hive actor runtime in Python: enough to write a layer of your own.

It speaks the wire of docs/WIRE.md with python3-zmq and python3-protobuf
(Debian packages):

  * one DEALER connected to ipc://RUN_DIR/broker, routing id NAME#PID#NONCE;
  * Hello (name, pid, program, replace, reliable) -> Welcome -> Ready;
  * frames in:  [source][Envelope]; frames out: [destination][Envelope][ack],
    the third frame (8 bytes little-endian, the number of routed messages
    consumed since the Welcome) only when the broker has not heard the count;
    a standalone Ack when a batch was consumed and nothing went out;
  * Request{echo} is answered with Result{echo} for every actor;
  * Stop (from the broker or the launcher), SIGTERM and SIGINT end run().

The Python code for messages/*.proto is generated at start-up with protoc
into a temporary directory, imported, and the directory removed: nothing
generated is kept next to the sources.

    import hive_actor
    pb = hive_actor.load_messages()          # the module of hive.proto
    a = hive_actor.Actor.from_args("myname")  # --name --run-dir --replace --set
    a.on("pdu", lambda source, env: ...)
    a.ready()
    sys.exit(a.run())
"""

import errno
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

DEBIAN_PACKAGES = "python3-zmq python3-protobuf protobuf-compiler"
DEBIAN_PYTHON = "/usr/bin/python3"


def _modules_or_reexec():
    """Imports zmq and google.protobuf. When this interpreter lacks them
    (a pyenv or virtualenv python3 first on PATH) and Debian's interpreter,
    where the Debian packages put them, is another one: runs the same
    command under it instead (same pid, so a launcher still supervises us)."""
    try:
        import zmq  # noqa: F401
        import google.protobuf  # noqa: F401
        return
    except ImportError as e:
        missing = e.name or str(e)
    here = os.path.realpath(sys.executable or "")
    if (os.access(DEBIAN_PYTHON, os.X_OK) and os.path.realpath(DEBIAN_PYTHON) != here
            and not os.environ.get("HIVE_PY_REEXEC")):
        os.environ["HIVE_PY_REEXEC"] = "1"
        os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON] + sys.argv)
    sys.stderr.write("hive python actor: the module %s is missing from %s; install the Debian "
                     "packages: apt-get install %s\n" % (missing, sys.executable, DEBIAN_PACKAGES))
    sys.exit(2)


_modules_or_reexec()

import zmq  # noqa: E402

# ---- logging (the format of actors/runtime/log.c) --------------------------------------------

LEVELS = ["ERROR", "WARN", "INFO", "DEBUG", "TRACE"]
ERROR, WARN, INFO, DEBUG, TRACE = range(5)


def _level(text, default=INFO):
    if not text:
        return default
    t = text.upper()
    if t == "WARNING":
        t = "WARN"
    return LEVELS.index(t) if t in LEVELS else default


_threshold = _level(os.environ.get("HIVE_LOG"))


def set_log_level(text):
    global _threshold
    _threshold = _level(text, _threshold)


def log(name, level, fmt, *args):
    if level > _threshold:
        return
    ns = time.monotonic_ns()
    msg = fmt % args if args else fmt
    line = "%s +%d.%06d %s %s\n" % (name, ns // 1000000000, ns % 1000000000 // 1000,
                                    LEVELS[level], msg)
    try:
        os.write(2, line.encode("utf-8", "replace"))
    except OSError:
        pass


# ---- generated messages ------------------------------------------------------------------------

def messages_dir():
    """messages/ of the source tree this file lives in (examples/python/..)."""
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "messages"))


def load_messages(proto_dir=None):
    """Runs protoc --python_out on every messages/*.proto into a temporary
    directory, imports the result and removes the directory. Returns the
    module of hive.proto (hive_pb2); the others are reachable as its imports
    (sys.modules["gatt_pb2"], ...)."""
    proto_dir = proto_dir or messages_dir()
    protos = sorted(f for f in os.listdir(proto_dir) if f.endswith(".proto"))
    if "hive.proto" not in protos:
        raise RuntimeError("no hive.proto in %s" % proto_dir)
    protoc = shutil.which("protoc")
    if not protoc:
        raise RuntimeError("protoc not found; install the Debian package protobuf-compiler")
    tmp = tempfile.mkdtemp(prefix="hive-py-")
    try:
        cmd = [protoc, "--python_out=" + tmp, "-I", proto_dir] + \
            [os.path.join(proto_dir, p) for p in protos]
        run = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if run.returncode != 0:
            raise RuntimeError("%s failed: %s" % (" ".join(cmd),
                                                  run.stderr.decode(errors="replace").strip()))
        sys.dont_write_bytecode = True
        sys.path.insert(0, tmp)
        try:
            import hive_pb2
        finally:
            sys.path.remove(tmp)
        return hive_pb2
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---- the actor -------------------------------------------------------------------------------

def default_run_dir():
    env = os.environ.get("HIVE_RUN_DIR")
    if env:
        return env
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg:
        return os.path.join(xdg, "hive")
    return "/tmp/hive-%d" % os.getuid()


class Refused(Exception):
    pass


USAGE = ("[--name NAME] [--run-dir DIR] [--replace] [--set KEY=VALUE]... "
         "[--log-level error|warn|info|debug|trace]")


def parse_args(argv, default_name):
    """The runtime options every actor takes (actors/runtime/args.c). Returns
    a dict: name, run_dir, replace, settings (the last --set of a key wins)."""
    opts = {"name": default_name, "run_dir": None, "replace": False, "settings": {}}
    i = 0
    while i < len(argv):
        arg = argv[i]
        key, eq, val = arg.partition("=")
        if key in ("--name", "--run-dir", "--set", "--log-level", "--broker", "--keys"):
            if not eq:
                if i + 1 >= len(argv):
                    raise SystemExit("%s needs a value" % arg)
                i += 1
                val = argv[i]
            if key == "--name":
                opts["name"] = val
            elif key == "--run-dir":
                opts["run_dir"] = val
            elif key == "--log-level":
                if val.upper() not in LEVELS + ["WARNING"]:
                    raise SystemExit("--log-level %s: use error, warn, info, debug or trace" % val)
                set_log_level(val)
            elif key == "--set":
                k, e, v = val.partition("=")
                if not e or not k:
                    raise SystemExit("--set %s: expected KEY=VALUE" % val)
                opts["settings"][k] = v
            else:
                raise SystemExit("%s: this Python runtime speaks ipc only (no tcp, no CURVE)"
                                 % key)
        elif arg == "--replace":
            opts["replace"] = True
        elif arg in ("-h", "--help"):
            print("usage: %s %s" % (os.path.basename(sys.argv[0]), USAGE))
            raise SystemExit(0)
        else:
            raise SystemExit("unknown option %s; usage: %s" % (arg, USAGE))
        i += 1
    return opts


class Actor:
    """One registered actor. on(body, fn) registers fn(source, env) for an
    Envelope body name ("pdu", "link", "request", ...); run() loops until
    Stop or a signal."""

    WELCOME_TIMEOUT_S = 10.0
    ACK_BATCH = 128

    def __init__(self, pb, name, run_dir=None, replace=False, settings=None, reliable=True):
        self.pb = pb
        self.name = name
        self.run_dir = run_dir or default_run_dir()
        self.replace = replace
        self.reliable = reliable
        self.settings = dict(settings or {})
        self.handlers = {}
        self.seq = 0
        self.received = 0   # routed messages consumed since the Welcome
        self.acked = 0      # the count the broker has heard
        self.stopping = False
        self.stopped_by = None
        self.ready_sent = False
        self.incarnation = 0
        self.restarted = False
        self.snapshot = b""
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.DEALER)
        nonce = (time.monotonic_ns() ^ (os.getpid() << 20)) & 0xFFFFFFFF
        self.sock.setsockopt(zmq.ROUTING_ID, ("%s#%d#%08x" % (name, os.getpid(), nonce)).encode())
        self.sock.setsockopt(zmq.LINGER, 1000)
        self.sock.setsockopt(zmq.SNDHWM, 100000)
        self.sock.setsockopt(zmq.RCVHWM, 100000)
        # A broker that restarts: the socket reconnects and we say Hello again.
        self.monitor = self.sock.get_monitor_socket(zmq.EVENT_CONNECTED)
        self.connects = 0
        self.rehello = False
        self.endpoint = "ipc://%s/broker" % self.run_dir
        self.sock.connect(self.endpoint)
        self._hello()
        self._await_welcome()
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    @classmethod
    def from_args(cls, pb, default_name, argv=None, reliable=True):
        o = parse_args(sys.argv[1:] if argv is None else argv, default_name)
        return cls(pb, o["name"], o["run_dir"], o["replace"], o["settings"], reliable)

    # ---- logging and settings

    def log(self, level, fmt, *args):
        log(self.name, level, fmt, *args)

    def config(self, key, default=None):
        return self.settings.get(key, default)

    # ---- registration

    def _hello(self):
        h = self.pb.Hello(name=self.name, pid=os.getpid(), replace=self.replace,
                          reliable=self.reliable,
                          program=" ".join([os.path.realpath(sys.executable)] + sys.argv)[:255])
        self.send("broker", self.pb.Envelope(hello=h))

    def _take_welcome(self, w):
        self.incarnation = w.incarnation
        self.restarted = w.restarted
        self.snapshot = w.snapshot if w.has_snapshot else b""
        self.received = 0
        self.acked = 0

    def _await_welcome(self):
        deadline = time.monotonic() + self.WELCOME_TIMEOUT_S
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no Welcome from the broker at %s within %.0f s: is the graph "
                                   "running (hive-launch) and is --run-dir right?"
                                   % (self.endpoint, self.WELCOME_TIMEOUT_S))
            if not self.sock.poll(int(left * 1000) + 1):
                continue
            frames = self.sock.recv_multipart()
            if len(frames) != 2 or frames[0] != b"broker":
                continue
            env = self.pb.Envelope()
            env.ParseFromString(frames[1])
            if env.WhichOneof("body") != "welcome":
                continue
            if not env.welcome.accepted:
                raise Refused(env.welcome.error)
            self._take_welcome(env.welcome)
            self.log(DEBUG, "registered (incarnation %d%s)", self.incarnation,
                     ", restarted" if self.restarted else "")
            return

    def ready(self):
        self.ready_sent = True
        self.send("broker", self.pb.Envelope(ready=self.pb.Ready()))

    def save_snapshot(self, data):
        self.send("broker", self.pb.Envelope(snapshot_save=self.pb.SnapshotSave(data=bytes(data))))

    # ---- sending

    def send(self, dest, env):
        self.seq += 1
        env.seq = self.seq
        env.sent_ns = time.monotonic_ns()
        frames = [dest.encode(), env.SerializeToString()]
        if self.reliable and self.received != self.acked and dest != "broker":
            frames.append(self.received.to_bytes(8, "little"))
            self.acked = self.received
        try:
            self.sock.send_multipart(frames, flags=zmq.DONTWAIT)
            return True
        except zmq.Again:
            self.log(WARN, "sending %s to %s failed: the broker is not taking messages",
                     env.WhichOneof("body"), dest)
            return False

    def _send_ack(self):
        if self.reliable and self.received != self.acked:
            self.acked = self.received
            self.send("broker", self.pb.Envelope(ack=self.pb.Ack(received=self.received)))

    # ---- receiving

    def on(self, body, fn):
        self.handlers[body] = fn

    def stop(self):
        self.stopping = True

    def _on_signal(self, signum, frame):
        self.stopped_by = signal.Signals(signum).name
        self.stopping = True

    def _dispatch(self, source, env):
        body = env.WhichOneof("body")
        from_broker = source == "broker"
        if not from_broker:
            self.received += 1
        self.log(TRACE, "<<< %s from %s seq=%d", body, source, env.seq)
        if from_broker and body == "welcome":
            # A restarted broker registered us again.
            self._take_welcome(env.welcome)
            if not env.welcome.accepted:
                self.log(ERROR, "the broker refused us again: %s", env.welcome.error)
                self.stopping = True
                return
            self.log(WARN if not self.rehello else INFO, "broker registered us again "
                     "(incarnation %d)", self.incarnation)
            self.rehello = False
            if self.ready_sent:
                self.ready()
            return
        if body == "stop" and source in ("broker", "launcher"):
            self.log(INFO, "stop asked by %s: %s", source, env.stop.reason or "no reason given")
            self.stopped_by = source
            self.stopping = True
            return
        if body == "request" and env.request.WhichOneof("op") == "echo":
            res = self.pb.Result(id=env.request.id)
            res.echo.CopyFrom(env.request.echo)
            self.send(source, self.pb.Envelope(result=res))
            return
        fn = self.handlers.get(body)
        if fn:
            fn(source, env)
        elif body == "undeliverable":
            u = env.undeliverable
            self.log(WARN, "message seq=%d to %s was not delivered: %s", u.seq, u.destination,
                     u.reason)
        else:
            self.log(DEBUG, "no handler for %s from %s; dropped", body, source)

    def _recv_one(self):
        try:
            frames = self.sock.recv_multipart(flags=zmq.DONTWAIT)
        except zmq.Again:
            return False
        if len(frames) != 2 or not frames[0]:
            self.log(WARN, "dropped a malformed message (%d frames)", len(frames))
            return True
        source = frames[0].decode(errors="replace")
        env = self.pb.Envelope()
        try:
            env.ParseFromString(frames[1])
        except Exception:  # google.protobuf.message.DecodeError
            self.log(WARN, "dropped an envelope from %s that does not decode (%d bytes)", source,
                     len(frames[1]))
            if source != "broker":
                self.received += 1
            return True
        try:
            self._dispatch(source, env)
        except Exception as e:  # one bad message must not end the actor
            self.log(ERROR, "handling %s from %s: %s: %s", env.WhichOneof("body"), source,
                     type(e).__name__, e)
        return True

    def _on_monitor(self):
        while True:
            try:
                self.monitor.recv_multipart(flags=zmq.DONTWAIT)
            except zmq.Again:
                return
            self.connects += 1
            if self.connects > 1 and not self.stopping:
                self.log(INFO, "broker back at %s; registering again", self.endpoint)
                self.replace = False
                self.rehello = True
                self._hello()

    def run(self, tick_s=None, on_tick=None):
        """Serves until Stop or a signal. Returns the exit status (0)."""
        poller = zmq.Poller()
        poller.register(self.sock, zmq.POLLIN)
        poller.register(self.monitor, zmq.POLLIN)
        next_tick = time.monotonic() + tick_s if tick_s else None
        while not self.stopping:
            timeout = 200
            if next_tick is not None:
                timeout = max(0, min(timeout, int((next_tick - time.monotonic()) * 1000)))
            try:
                ready = dict(poller.poll(timeout))
            except zmq.ZMQError as e:
                if e.errno == errno.EINTR:
                    continue
                raise
            if self.monitor in ready:
                self._on_monitor()
            if self.sock in ready:
                while not self.stopping and self._recv_one():
                    if self.received - self.acked >= self.ACK_BATCH:
                        self._send_ack()
                self._send_ack()
            if next_tick is not None and time.monotonic() >= next_tick:
                next_tick += tick_s
                if on_tick:
                    on_tick()
        self.close()
        return 0

    def close(self):
        """Says goodbye: what we consumed is acknowledged and the broker is told
        we exit (not after a replacement: the name is no longer ours)."""
        if self.sock is None:
            return
        if self.stopped_by != "broker":
            self._send_ack()
            x = self.pb.ActorExited(name=self.name, pid=os.getpid(), how="clean exit")
            self.send("broker", self.pb.Envelope(actor_exited=x))
        self.sock.disable_monitor()
        self.monitor.close(linger=0)
        self.sock.close()  # LINGER 1000: what is queued still goes out
        self.ctx.term()
        self.sock = None
