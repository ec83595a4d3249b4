/* The hci actor's context: packets between the host actor and the
 * transport, the two bounded queues, and the transport's up/down life with
 * reconnection and backoff. The only file besides hci_main.c that talks to
 * the runtime. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "h4.h"
#include "hci.h"

/* Retry the pipe to the host this often while the broker pushes back. */
#define HOST_RETRY_MS 5

/* The largest ACL payload whose HciPacket envelope fits the runtime's frame
 * limit (the envelope adds well under 64 bytes). */
#define ACL_MAX_DEFAULT (HIVE_FRAME_MAX_DEFAULT - 64 - 4)

void hci_settings_default(struct hci_settings *s)
{
	memset(s, 0, sizeof *s);
	s->acl_max = ACL_MAX_DEFAULT < H4_ACL_PAYLOAD_MAX ? ACL_MAX_DEFAULT : H4_ACL_PAYLOAD_MAX;
	s->queue_bytes = 4u << 20;
	s->queue_packets = 8192;
	s->retry_min_ms = 100;
	s->retry_max_ms = 5000;
	s->open_wait_ms = 0;
	s->connect_timeout_ms = 3000;
	s->h5_window = 4;
	s->h5_retransmit_ms = 250;
	s->h5_sync_ms = 250;
	snprintf(s->peer, sizeof s->peer, "host");
}

/* Logs the first of a run of drops and then every power of two, so a
 * flood says how bad it is without flooding the log. */
static bool worth_logging(uint64_t count)
{
	return (count & (count - 1)) == 0;
}

/* ---- controller to host ------------------------------------------------------ */

static int send_to_host(struct hci *h, uint8_t type, const uint8_t *pkt, size_t len)
{
	Hive__HciPacket p = HIVE__HCI_PACKET__INIT;
	p.type = (Hive__HciPacket__Type)type;
	p.data.data = (uint8_t *)pkt;
	p.data.len = len;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_HCI;
	env.hci = &p;
	int rc = hive_send(h->a, h->cfg.peer, &env);
	if (rc == 0) {
		h->n.to_host++;
		HLOG_DEBUG(h->a, "<<< %s len=%zu from the controller", h4_type_name(type), len);
	}
	return rc;
}

static void set_paused(struct hci *h, bool paused)
{
	if (h->paused == paused)
		return;
	h->paused = paused;
	if (h->ops && h->ops->pause)
		h->ops->pause(h, paused);
	if (paused)
		hive_log(h->a, HIVE_LOG_WARN, "the pipe to %s is full; stopped reading the "
			 "controller until it drains", h->cfg.peer);
	else
		hive_log(h->a, HIVE_LOG_INFO, "the pipe to %s drained; reading the controller "
			 "again", h->cfg.peer);
}

/* Sends what waits for the host; returns true when nothing is left. */
static bool drain_to_host(struct hci *h)
{
	uint8_t type;
	const uint8_t *pkt;
	size_t len;
	while (hci_queue_peek(&h->to_host, &type, &pkt, &len)) {
		int rc = send_to_host(h, type, pkt, len);
		if (rc == -EAGAIN)
			return false;
		hci_queue_pop(&h->to_host);
	}
	return true;
}

static void on_host_timer(struct hive_actor *a, void *arg)
{
	struct hci *h = arg;
	h->host_timer = 0;
	if (drain_to_host(h)) {
		set_paused(h, false);
		return;
	}
	h->host_timer = hive_timer_start(a, HOST_RETRY_MS, 0, on_host_timer, h);
}

void hci_on_packet(struct hci *h, uint8_t type, const uint8_t *pkt, size_t len)
{
	if (hci_queue_count(&h->to_host) == 0) {
		int rc = send_to_host(h, type, pkt, len);
		if (rc != -EAGAIN) {
			if (rc < 0)
				hive_log(h->a, HIVE_LOG_ERROR, "could not pass a %s packet of %zu bytes "
					 "to %s: %s", h4_type_name(type), len, h->cfg.peer,
					 strerror(-rc));
			return;
		}
	}
	/* Back-pressure: keep it, stop reading, retry soon. */
	if (hci_queue_push(&h->to_host, type, pkt, len) < 0) {
		h->n.full_to_host++;
		if (worth_logging(h->n.full_to_host))
			hive_log(h->a, HIVE_LOG_ERROR, "dropped a %s packet from the controller: the "
				 "queue to %s is full (%zu packets); %llu dropped so far",
				 h4_type_name(type), h->cfg.peer, hci_queue_count(&h->to_host),
				 (unsigned long long)h->n.full_to_host);
	}
	set_paused(h, true);
	if (!h->host_timer)
		h->host_timer = hive_timer_start(h->a, HOST_RETRY_MS, 0, on_host_timer, h);
}

/* ---- host to controller -------------------------------------------------------- */

void hci_flush(struct hci *h)
{
	/* A transport may call hci_on_writable from inside send. */
	if (!h->up || h->flushing)
		return;
	h->flushing = true;
	uint8_t type;
	const uint8_t *pkt;
	size_t len;
	while (h->up && hci_queue_peek(&h->to_ctrl, &type, &pkt, &len)) {
		h->err[0] = '\0';
		int rc = h->ops->send(h, type, pkt, len);
		if (rc == -EAGAIN)
			break;
		if (rc == 0) {
			h->n.to_controller++;
			HLOG_DEBUG(h->a, ">>> %s len=%zu to the controller", h4_type_name(type), len);
		} else {
			h->n.bad_from_host++;
			hive_log(h->a, HIVE_LOG_ERROR, "dropped a %s packet of %zu bytes for the "
				 "controller: %s", h4_type_name(type), len,
				 h->err[0] ? h->err : strerror(-rc));
		}
		hci_queue_pop(&h->to_ctrl);
	}
	h->flushing = false;
}

void hci_on_writable(struct hci *h)
{
	hci_flush(h);
}

static bool host_type_ok(Hive__HciPacket__Type t)
{
	return t == HIVE__HCI_PACKET__TYPE__COMMAND || t == HIVE__HCI_PACKET__TYPE__ACL ||
	       t == HIVE__HCI_PACKET__TYPE__SCO || t == HIVE__HCI_PACKET__TYPE__ISO;
}

static void on_host_packet(struct hive_actor *a, const char *source, const Hive__Envelope *env,
			   void *arg)
{
	struct hci *h = arg;
	const Hive__HciPacket *p = env->hci;
	uint8_t type = (uint8_t)p->type;
	if (!host_type_ok(p->type) || h4_check(type, p->data.data, p->data.len, h->cfg.acl_max)) {
		h->n.bad_from_host++;
		hive_log(a, HIVE_LOG_ERROR, "dropped a malformed HciPacket from %s (type %d, %zu "
			 "bytes): a host sends command, acl, sco or iso packets whose length field "
			 "matches their size", source, (int)p->type, p->data.len);
		return;
	}
	h->n.from_host++;
	if (hci_queue_push(&h->to_ctrl, type, p->data.data, p->data.len) < 0) {
		h->n.full_to_controller++;
		if (worth_logging(h->n.full_to_controller))
			hive_log(a, HIVE_LOG_ERROR, "dropped a %s packet from %s: the queue to the "
				 "controller is full (%zu packets, %zu bytes, transport %s); %llu "
				 "dropped so far", h4_type_name(type), source,
				 hci_queue_count(&h->to_ctrl), hci_queue_bytes(&h->to_ctrl),
				 h->up ? "up but not taking them" : "down",
				 (unsigned long long)h->n.full_to_controller);
		return;
	}
	hci_flush(h);
}

/* ---- up, down, reconnection ----------------------------------------------------- */

static void on_retry(struct hive_actor *a, void *arg);

static void schedule_retry(struct hci *h)
{
	if (h->retry_timer)
		hive_timer_cancel(h->a, h->retry_timer);
	h->retry_timer = hive_timer_start(h->a, h->retry_ms, 0, on_retry, h);
}

static uint64_t next_delay(const struct hci *h)
{
	uint64_t d = h->retry_ms * 2;
	return d > h->cfg.retry_max_ms ? h->cfg.retry_max_ms : d;
}

static void on_retry(struct hive_actor *a, void *arg)
{
	struct hci *h = arg;
	h->retry_timer = 0;
	if (h->up)
		return;
	h->attempts++;
	h->err[0] = '\0';
	int rc = h->ops->reconnect(h);
	if (rc == 0 || rc == -EINPROGRESS || h->up)
		return;
	h->retry_ms = next_delay(h);
	hive_log(a, HIVE_LOG_INFO, "reconnection attempt %u to %s failed: %s; next in %llu ms",
		 h->attempts, h->spec_text, h->err[0] ? h->err : strerror(-rc),
		 (unsigned long long)h->retry_ms);
	schedule_retry(h);
}

/* Tells the host the transport came up or went down. */
static void tell_host(struct hci *h, Hive__TransportState__State state, const char *why)
{
	Hive__TransportState t = HIVE__TRANSPORT_STATE__INIT;
	t.state = state;
	t.transport = h->spec_text;
	t.reason = (char *)(why ? why : "");
	t.attempts = h->attempts;
	t.dropped = h->n.bad_from_host + h->n.full_to_controller;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_TRANSPORT_STATE;
	env.transport_state = &t;
	hive_send(h->a, h->cfg.peer, &env);
}

void hci_on_up(struct hci *h)
{
	if (h->up)
		return;
	h->up = true;
	if (h->retry_timer) {
		hive_timer_cancel(h->a, h->retry_timer);
		h->retry_timer = 0;
	}
	if (h->ever_up) {
		h->n.reconnects++;
		uint64_t down_ms = (hive_now_ns() - h->down_ns) / 1000000u;
		hive_log(h->a, HIVE_LOG_WARN, "transport %s is up again after %u attempt%s (down "
			 "%llu ms); %zu packets for the controller waited", h->spec_text, h->attempts,
			 h->attempts == 1 ? "" : "s", (unsigned long long)down_ms,
			 hci_queue_count(&h->to_ctrl));
	} else {
		hive_log(h->a, HIVE_LOG_INFO, "transport %s is up", h->spec_text);
	}
	h->ever_up = true;
	tell_host(h, HIVE__TRANSPORT_STATE__STATE__UP, NULL);
	h->attempts = 0;
	h->retry_ms = h->cfg.retry_min_ms;
	hci_flush(h);
}

void hci_on_down(struct hci *h, const char *why)
{
	if (h->up) {
		h->up = false;
		h->n.drops++;
		h->down_ns = hive_now_ns();
		h->attempts = 0;
		h->retry_ms = h->cfg.retry_min_ms;
		tell_host(h, HIVE__TRANSPORT_STATE__STATE__DOWN, why);
		hive_log(h->a, HIVE_LOG_WARN, "transport %s dropped: %s; reconnecting in %llu ms "
			 "(packets from %s wait in a queue of up to %zu)", h->spec_text, why,
			 (unsigned long long)h->retry_ms, h->cfg.peer, h->cfg.queue_packets);
	} else {
		/* A reconnection in progress failed. */
		h->retry_ms = h->attempts ? next_delay(h) : h->cfg.retry_min_ms;
		hive_log(h->a, HIVE_LOG_INFO, "transport %s still down: %s; next attempt in %llu "
			 "ms", h->spec_text, why, (unsigned long long)h->retry_ms);
	}
	schedule_retry(h);
}

/* ---- life ----------------------------------------------------------------------- */

int hci_init(struct hci *h, struct hive_actor *a)
{
	h->a = a;
	h->retry_ms = h->cfg.retry_min_ms;
	int rc = hci_queue_init(&h->to_ctrl, h->cfg.queue_bytes, h->cfg.queue_packets);
	if (rc == 0)
		rc = hci_queue_init(&h->to_host, h->cfg.queue_bytes, h->cfg.queue_packets);
	if (rc < 0)
		return rc;
	hive_on(a, HIVE__ENVELOPE__BODY_HCI, on_host_packet, h);
	return 0;
}

void hci_fini(struct hci *h)
{
	if (h->a) {
		hive_on(h->a, HIVE__ENVELOPE__BODY_HCI, NULL, NULL);
		if (h->retry_timer)
			hive_timer_cancel(h->a, h->retry_timer);
		if (h->host_timer)
			hive_timer_cancel(h->a, h->host_timer);
	}
	h->retry_timer = h->host_timer = 0;
	if (h->ops && h->tr)
		h->ops->destroy(h);
	hci_queue_fini(&h->to_ctrl);
	hci_queue_fini(&h->to_host);
}
