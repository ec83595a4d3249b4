/* The three-namespace lab (see netns_util.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "netns_util.h"

#define IP "/usr/sbin/ip"

static const char *const addr_cidr[NETNS_COUNT] = { "10.201.0.1/24", "10.201.0.2/24",
						    "10.201.1.2/24" };

int netns_sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int st = system(cmd);
	return st < 0 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

/* Runs cmd; on failure keeps its first line of output in out. */
static int sh_out(char *out, size_t cap, const char *cmd)
{
	char full[2100];
	snprintf(full, sizeof full, "%s 2>&1", cmd);
	FILE *p = popen(full, "r");
	if (!p) {
		snprintf(out, cap, "cannot run a shell: %s", strerror(errno));
		return -1;
	}
	char line[256] = "", rest[256];
	char *got = fgets(line, sizeof line, p);
	while (got && fgets(rest, sizeof rest, p)) /* the rest, so that it can end */
		;
	int st = pclose(p);
	int rc = st < 0 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
	if (rc != 0) {
		line[strcspn(line, "\n")] = '\0';
		snprintf(out, cap, "'%s' failed: %s", cmd, got ? line : "no output");
	}
	return rc;
}

/* a-z0-9 digits of v, at least width of them. */
static void base36(char *out, size_t cap, unsigned long v, int width)
{
	char tmp[16];
	int n = 0;
	do {
		tmp[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
		v /= 36;
	} while ((v || n < width) && n < (int)sizeof tmp);
	size_t k = 0;
	while (n > 0 && k + 1 < cap)
		out[k++] = tmp[--n];
	out[k] = '\0';
}

/* The reaper: waits for EOF on fd (the end of its parent), then deletes
 * the namespaces. It leaves the test's process group and ignores the
 * signals that end a test run, so that it outlives whatever killed it. */
static void reaper_main(const struct netns_lab *l, int fd)
{
	setpgid(0, 0);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	for (int k = 3; k < 1024; k++)
		if (k != fd)
			close(k);
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r == 0 || (r < 0 && errno != EINTR))
			break;
	}
	for (int i = 0; i < NETNS_COUNT; i++) {
		if (!l->ns[i][0])
			continue;
		pid_t pid = fork();
		if (pid == 0) {
			int null = open("/dev/null", O_WRONLY);
			if (null >= 0) {
				dup2(null, 1);
				dup2(null, 2);
			}
			execl(IP, "ip", "netns", "del", l->ns[i], (char *)NULL);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	_exit(0);
}

static int start_reaper(struct netns_lab *l)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int err = errno;
		close(p[0]);
		close(p[1]);
		return -err;
	}
	if (pid == 0) {
		close(p[1]);
		reaper_main(l, p[0]);
	}
	close(p[0]);
	l->reaper = pid;
	l->reaper_fd = p[1];
	return 0;
}

int netns_lab_make(struct netns_lab *l)
{
	memset(l, 0, sizeof *l);
	l->reaper_fd = -1;
	if (geteuid() != 0) {
		snprintf(l->skip, sizeof l->skip, "network namespaces need root (euid %d); run the "
			 "test as root to cover tcp between namespaces", (int)geteuid());
		return -EPERM;
	}
	if (access(IP, X_OK) != 0 || sh_out(l->skip, sizeof l->skip, IP " netns list") != 0) {
		snprintf(l->skip, sizeof l->skip, "%s with 'ip netns' is missing; install iproute2 "
			 "(make deps)", IP);
		return -ENOSYS;
	}
	char tag[6], nonce[4]; /* 36^5 > pid_max */
	base36(tag, sizeof tag, (unsigned long)getpid(), 1);
	base36(nonce, sizeof nonce, (unsigned long)(hive_now_ns() / 1000) % (36 * 36 * 36), 3);
	for (int i = 0; i < NETNS_COUNT; i++)
		snprintf(l->ns[i], sizeof l->ns[i], "hive-%s%s-%c", tag, nonce, 'a' + i);
	for (int k = 0; k < 2; k++) {
		snprintf(l->ab[k], sizeof l->ab[k], "h%s%sb%d", tag, nonce, k);
		snprintf(l->ac[k], sizeof l->ac[k], "h%s%sc%d", tag, nonce, k);
	}
	l->addr[NETNS_A] = "10.201.0.1";
	l->addr[NETNS_B] = "10.201.0.2";
	l->addr[NETNS_C] = "10.201.1.2";
	l->addr_a_to_c = "10.201.1.1";
	/* The reaper first: from now on, whatever happens, the lab goes. */
	if (start_reaper(l) < 0) {
		snprintf(l->skip, sizeof l->skip, "cannot start the cleanup process");
		return -EIO;
	}
	char cmd[1024];
	snprintf(cmd, sizeof cmd, IP " netns add %s", l->ns[NETNS_A]);
	if (sh_out(l->skip, sizeof l->skip, cmd) != 0) {
		/* The machine (a container without CAP_SYS_ADMIN, say) cannot. */
		l->ns[NETNS_A][0] = '\0';
		return -EPERM;
	}
	int rc = 0;
	for (int i = NETNS_B; rc == 0 && i < NETNS_COUNT; i++) {
		snprintf(cmd, sizeof cmd, IP " netns add %s", l->ns[i]);
		rc = sh_out(l->skip, sizeof l->skip, cmd);
		if (rc)
			l->ns[i][0] = '\0';
	}
	const char *const links[2][3] = { { l->ab[0], l->ab[1], l->ns[NETNS_B] },
					  { l->ac[0], l->ac[1], l->ns[NETNS_C] } };
	for (int k = 0; rc == 0 && k < 2; k++) {
		snprintf(cmd, sizeof cmd, IP " link add %s netns %s type veth peer name %s netns %s",
			 links[k][0], l->ns[NETNS_A], links[k][1], links[k][2]);
		rc = sh_out(l->skip, sizeof l->skip, cmd);
	}
	/* Addresses, links up, loopbacks up. */
	const char *dev[NETNS_COUNT + 1][3] = {
		{ l->ns[NETNS_A], l->ab[0], addr_cidr[NETNS_A] },
		{ l->ns[NETNS_B], l->ab[1], addr_cidr[NETNS_B] },
		{ l->ns[NETNS_C], l->ac[1], addr_cidr[NETNS_C] },
		{ l->ns[NETNS_A], l->ac[0], "10.201.1.1/24" },
	};
	for (int i = 0; rc == 0 && i < NETNS_COUNT + 1; i++) {
		snprintf(cmd, sizeof cmd, IP " -n %s addr add %s dev %s && " IP " -n %s link set %s up"
			 " && " IP " -n %s link set lo up", dev[i][0], dev[i][2], dev[i][1],
			 dev[i][0], dev[i][1], dev[i][0]);
		rc = sh_out(l->skip, sizeof l->skip, cmd);
	}
	return rc ? -EIO : 0;
}

void netns_lab_destroy(struct netns_lab *l)
{
	if (l->reaper_fd >= 0) {
		close(l->reaper_fd);
		l->reaper_fd = -1;
	}
	if (l->reaper > 0) {
		waitpid(l->reaper, NULL, 0);
		l->reaper = 0;
	}
}

pid_t netns_spawn(const struct netns_lab *l, int which, const char *const argv[],
		  const char *out, const char *err)
{
	const char *full[40];
	char prog[1024];
	int n = 0;
	full[n++] = IP;
	full[n++] = "netns";
	full[n++] = "exec";
	full[n++] = l->ns[which];
	full[n++] = th_bin(prog, sizeof prog, argv[0]);
	for (int i = 1; argv[i] && n < 39; i++)
		full[n++] = argv[i];
	full[n] = NULL;
	return th_spawn(full, out, err);
}

int netns_link_set(const struct netns_lab *l, int which, bool up)
{
	const char *dev = which == NETNS_B ? l->ab[1] : l->ac[1];
	return netns_sh(IP " -n %s link set %s %s", l->ns[which], dev, up ? "up" : "down") == 0
		       ? 0
		       : -EIO;
}

/* ---- the stack spread over the lab ------------------------------------------- */

static bool write_central_graph(struct netns_stack *s, struct e2e *e)
{
	snprintf(s->graph, sizeof s->graph, "%s/split-central.json", e->dir);
	FILE *f = fopen(s->graph, "w");
	if (!f)
		return e2e_fail(e, "cannot write %s", s->graph);
	fputs("{\"name\": \"split-central\",\n"
	      " \"supervision\": {\"max_restarts\": 5, \"period_s\": 10},\n"
	      " \"actors\": [\n"
	      "  {\"name\": \"hci\", \"program\": \"hive-hci\"},\n"
	      "  {\"name\": \"host\", \"program\": \"hive-host\"},\n"
	      "  {\"name\": \"l2cap\", \"program\": \"hive-l2cap\"},\n"
	      "  {\"name\": \"gatt\", \"where\": \"remote\", \"ready_timeout_ms\": 20000},\n"
	      "  {\"name\": \"smp\", \"where\": \"remote\", \"ready_timeout_ms\": 20000}]}\n", f);
	return fclose(f) == 0 ? true : e2e_fail(e, "cannot write %s", s->graph);
}

/* The peer graph, in C: e2e_launch's command inside the namespace
 * (launcher/graphs/LABEL.json). */
static bool launch_peer(struct netns_lab *l, struct e2e *e)
{
	struct e2e_side *p = &e->p;
	char cwd[1024], graph[1200], transport[700], ks[700], err[700];
	if (!getcwd(cwd, sizeof cwd))
		return e2e_fail(e, "getcwd");
	snprintf(graph, sizeof graph, "%s/launcher/graphs/%s.json", cwd, p->label);
	snprintf(p->run, sizeof p->run, "%s/%s", e->dir, p->label);
	snprintf(p->ks, sizeof p->ks, "%s/%s-bonds.sqlite3", e->dir, p->label);
	snprintf(transport, sizeof transport, "unix:%s", p->sock);
	snprintf(ks, sizeof ks, "smp.keystore=%s", p->ks);
	snprintf(p->out, sizeof p->out, "%s/launch-%s.out", e->dir, p->label);
	snprintf(err, sizeof err, "%s/launch-%s.err", e->dir, p->label);
	p->launches++;
	mkdir(p->run, 0700);
	const char *argv[] = { "hive-launch", graph, "--transport", transport, "--run-dir", p->run,
			       "--set", ks, NULL };
	p->launch = netns_spawn(l, NETNS_C, argv, p->out, err);
	return p->launch > 0 ? true : e2e_fail(e, "cannot start the peer graph");
}

/* The central's broker, hci, host and l2cap in A. */
static bool launch_central(struct netns_lab *l, struct netns_stack *s, struct e2e *e)
{
	struct e2e_side *c = &e->c;
	char transport[700], bind[64], tap[64];
	snprintf(c->run, sizeof c->run, "%s/central", e->dir);
	snprintf(c->ks, sizeof c->ks, "%s/central-bonds.sqlite3", e->dir);
	snprintf(s->keys, sizeof s->keys, "%s/keys", e->dir);
	snprintf(transport, sizeof transport, "unix:%s", c->sock);
	snprintf(bind, sizeof bind, "tcp://%s:0", l->addr[NETNS_A]);
	snprintf(tap, sizeof tap, "tcp://%s:0", l->addr_a_to_c);
	snprintf(c->out, sizeof c->out, "%s/launch-central.out", e->dir);
	snprintf(s->central_err, sizeof s->central_err, "%s/launch-central.err", e->dir);
	c->launches++;
	mkdir(c->run, 0700);
	const char *argv[] = { "hive-launch", s->graph, "--transport", transport, "--run-dir",
			       c->run, "--keys", s->keys, "--bind", bind, "--log-level", "info",
			       s->tap ? "--tap-bind" : NULL, tap, NULL };
	c->launch = netns_spawn(l, NETNS_A, argv, c->out, s->central_err);
	if (c->launch <= 0)
		return e2e_fail(e, "cannot start the central graph");
	char path[800];
	snprintf(path, sizeof path, "%s/broker.endpoints", c->run);
	if (!th_file_contains(path, "tcp://", E2E_DEADLINE_MS))
		return e2e_fail(e, "the central's broker wrote no tcp endpoint (see %s)",
				s->central_err);
	char *ep = th_slurp(path, NULL);
	if (!ep)
		return e2e_fail(e, "cannot read %s", path);
	ep[strcspn(ep, "\n")] = '\0';
	snprintf(s->tcp_ep, sizeof s->tcp_ep, "%s", ep);
	free(ep);
	if (!s->tap)
		return true;
	snprintf(path, sizeof path, "%s/tap.endpoints", c->run);
	if (!th_file_contains(path, "tcp://", E2E_DEADLINE_MS))
		return e2e_fail(e, "the central's broker wrote no tap endpoint (see %s)",
				s->central_err);
	ep = th_slurp(path, NULL);
	if (!ep)
		return e2e_fail(e, "cannot read %s", path);
	ep[strcspn(ep, "\n")] = '\0';
	snprintf(s->tap_ep, sizeof s->tap_ep, "%s", ep);
	free(ep);
	return true;
}

/* gatt and smp in B, started by hand as on another host. */
static bool start_remote(struct netns_lab *l, struct netns_stack *s, struct e2e *e)
{
	char ks[800];
	snprintf(s->gatt_log, sizeof s->gatt_log, "%s/gatt-b.log", e->dir);
	snprintf(s->smp_log, sizeof s->smp_log, "%s/smp-b.log", e->dir);
	snprintf(ks, sizeof ks, "keystore=%s", e->c.ks);
	const char *gargv[] = { "hive-gatt", "--name", "gatt", "--broker", s->tcp_ep, "--keys",
				s->keys, NULL };
	const char *sargv[] = { "hive-smp", "--name", "smp", "--broker", s->tcp_ep, "--keys",
				s->keys, "--set", ks, NULL };
	s->gatt = netns_spawn(l, NETNS_B, gargv, NULL, s->gatt_log);
	s->smp = netns_spawn(l, NETNS_B, sargv, NULL, s->smp_log);
	if (s->gatt <= 0 || s->smp <= 0)
		return e2e_fail(e, "cannot start gatt and smp in %s", l->ns[NETNS_B]);
	if (!th_file_contains(e->c.out, "ready", E2E_DEADLINE_MS))
		return e2e_fail(e, "the central graph did not become ready with gatt and smp in "
				"%s (see %s, %s and %s)", l->ns[NETNS_B], s->central_err,
				s->gatt_log, s->smp_log);
	return true;
}

bool netns_stack_start(struct netns_lab *l, struct netns_stack *s, struct e2e *e)
{
	char *d = th_run_dir();
	if (!d)
		return e2e_fail(e, "no run directory");
	snprintf(e->dir, sizeof e->dir, "%s", d);
	free(d);
	if (!e->p.label)
		e->p.label = "peripheral";
	e->c.label = "central";
	e->c.smp_subscribe = true;
	if (!e2e_start_vctrl(e) || !write_central_graph(s, e) || !launch_peer(l, e))
		return false;
	if (!launch_central(l, s, e) || !start_remote(l, s, e))
		return false;
	if (!th_file_contains(e->p.out, "ready", E2E_DEADLINE_MS))
		return e2e_fail(e, "the peer graph in %s did not start (see %s/launch-%s.err)",
				l->ns[NETNS_C], e->dir, e->p.label);
	return e2e_join(e, &e->p) && e2e_join(e, &e->c) && e2e_connect(e);
}

long netns_wait_up(struct hive_actor *w, const char *const names[], bool want, int timeout_ms)
{
	uint64_t t0 = hive_now_ns(), deadline = t0 + (uint64_t)timeout_ms * 1000000ull;
	while (hive_now_ns() < deadline) {
		Hive__Status *st = th_status(w, TH_DEADLINE_MS);
		bool all = st != NULL;
		for (int i = 0; all && names[i]; i++) {
			const Hive__ActorStatus *a = th_status_find(st, names[i]);
			bool up = a && a->up && (!want || a->ready);
			all = up == want;
		}
		hive__status__free_unpacked(st, NULL);
		if (all)
			return (long)((hive_now_ns() - t0) / 1000000ull);
		hive_run_once(w, 20);
	}
	return -1;
}
