/* Flow control of the frames l2cap sends to the host (AclCredits in
 * hive.proto). The host queues a bounded number of frames per link while
 * they wait for the controller's buffers; l2cap keeps at most the window
 * the host granted outstanding and holds the rest here, per link, in order.
 * Credit based channels do not add to this backlog: their pump stops while
 * the link has none (l2cap_host_room), so their SDUs wait in the channel's
 * own queue, with its -EAGAIN / writable back-pressure to the owner. Fixed
 * channel owners (gatt, smp) are told busy when the backlog passes a high
 * watermark and not busy when it drained below a low one; past a hard bound
 * a frame is refused, counted, and the caller says so.
 *
 * A copy of each frame stays until the host credits it back: when a
 * restarted host resets the window, the frames its predecessor held
 * (acknowledged to the broker, so nobody else would send them again) go
 * again, first and in order. A frame that died half sent is whole in the
 * copy; the peer drops the half (a new start abandons it). Only a frame the
 * dead host had sent whole but not yet credited goes twice. */
#include "l2cap_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct l2cap_hframe {
	struct l2cap_hframe *next;
	uint16_t cid;
	size_t len;
	uint8_t *data;
};

bool l2cap_host_room(const struct l2cap_link *k)
{
	return !k->host_flow || (k->host_credits > 0 && !k->hq_head);
}

static struct l2cap_hframe *hframe_new(uint16_t cid, uint8_t *buf, size_t len)
{
	struct l2cap_hframe *f = malloc(sizeof *f);
	if (f)
		*f = (struct l2cap_hframe){ .cid = cid, .len = len, .data = buf };
	return f;
}

static void list_append(struct l2cap_hframe **head, struct l2cap_hframe **tail,
			struct l2cap_hframe *f)
{
	f->next = NULL;
	if (*tail)
		(*tail)->next = f;
	else
		*head = f;
	*tail = f;
}

static struct l2cap_hframe *list_pop(struct l2cap_hframe **head, struct l2cap_hframe **tail)
{
	struct l2cap_hframe *f = *head;
	*head = f->next;
	if (!*head)
		*tail = NULL;
	return f;
}

static void list_free(struct l2cap_hframe **head, struct l2cap_hframe **tail)
{
	while (*head) {
		struct l2cap_hframe *f = *head;
		*head = f->next;
		free(f->data);
		free(f);
	}
	*tail = NULL;
}

/* Keeps a copy of a frame the host has not credited yet. */
static void keep_copy(struct l2cap *l, struct l2cap_link *k, uint16_t cid, const uint8_t *buf,
		      size_t len)
{
	uint8_t *copy = malloc(len);
	struct l2cap_hframe *f = copy ? hframe_new(cid, copy, len) : NULL;
	if (!f) {
		free(copy);
		l->st.no_memory++;
		return;
	}
	memcpy(copy, buf, len);
	list_append(&k->sent_head, &k->sent_tail, f);
	k->sent_count++;
}

static int push_frame(struct l2cap *l, struct l2cap_link *k, uint16_t handle, uint16_t cid,
		      uint8_t *buf, size_t len)
{
	struct l2cap_out *o = l2cap_out_push(l, L2CAP_OUT_FRAME, handle, NULL);
	if (!o) {
		free(buf);
		return -ENOMEM;
	}
	o->cid = cid;
	o->data = buf;
	o->len = len;
	o->epoch = k ? k->host_epoch : 0;
	if (k && k->host_flow) {
		k->host_credits--;
		keep_copy(l, k, cid, buf, len);
	}
	l->st.frames_out++;
	return 0;
}

int l2cap_host_submit(struct l2cap *l, uint16_t handle, uint16_t cid, uint8_t *buf, size_t len)
{
	struct l2cap_link *k = l2cap_link_find(l, handle);
	if (!k || l2cap_host_room(k))
		return push_frame(l, k, handle, cid, buf, len);
	if (k->hq_count >= L2CAP_HOSTQ_MAX) {
		l->st.host_backlog_refused++;
		free(buf);
		return -ENOBUFS;
	}
	struct l2cap_hframe *f = hframe_new(cid, buf, len);
	if (!f) {
		l->st.no_memory++;
		free(buf);
		return -ENOMEM;
	}
	list_append(&k->hq_head, &k->hq_tail, f);
	k->hq_count++;
	if (k->hq_count > l->st.host_backlog_max)
		l->st.host_backlog_max = k->hq_count;
	return 0;
}

static void tell_busy(struct l2cap *l, struct l2cap_link *k, uint16_t cid, bool busy)
{
	const char *owner = l2cap_fixed_owner(&l->fixed, cid);
	if (!owner)
		return;
	struct l2cap_out *o = l2cap_out_push(l, L2CAP_OUT_FIXED_BUSY, k->handle, owner);
	if (!o)
		return;
	o->cid = cid;
	o->status = busy;
	o->unsent = k->hq_count;
}

void l2cap_host_fixed_sent(struct l2cap *l, struct l2cap_link *k, uint16_t cid)
{
	if (cid >= 64 || k->hq_count < L2CAP_HOSTQ_HIGH)
		return;
	uint64_t bit = 1ull << cid;
	/* Told again at every further multiple of the watermark: an owner that
	 * restarted since it was told learns it from the next one. */
	if (!(k->busy_told & bit) || k->hq_count % L2CAP_HOSTQ_HIGH == 0) {
		k->busy_told |= bit;
		tell_busy(l, k, cid, true);
	}
}

void l2cap_on_host_credits(struct l2cap *l, uint16_t handle, unsigned frames, unsigned window,
			   bool reset, uint32_t epoch)
{
	struct l2cap_link *k = l2cap_link_find(l, handle);
	if (!k)
		return;
	k->host_epoch = epoch;
	if (reset && k->sent_head) {
		/* The host restarted: what it had not credited died with it
		 * and goes again, before the backlog. */
		l->st.host_resent += k->sent_count;
		k->sent_tail->next = k->hq_head;
		if (!k->hq_head)
			k->hq_tail = k->sent_tail;
		k->hq_head = k->sent_head;
		k->hq_count += k->sent_count;
		k->sent_head = k->sent_tail = NULL;
		k->sent_count = 0;
	}
	if (reset || !k->host_flow) {
		/* A new window, or the first credits since our restart: what a
		 * predecessor left outstanding is unknown, and the host's queue
		 * is twice the window for that reason. */
		k->host_flow = true;
		k->host_credits = window;
	} else {
		k->host_credits += frames;
		if (k->host_credits > window)
			k->host_credits = window;
		for (unsigned i = 0; i < frames && k->sent_head; i++) {
			struct l2cap_hframe *f = list_pop(&k->sent_head, &k->sent_tail);
			k->sent_count--;
			free(f->data);
			free(f);
		}
	}
	while (k->hq_head && k->host_credits) {
		struct l2cap_hframe *f = list_pop(&k->hq_head, &k->hq_tail);
		k->hq_count--;
		push_frame(l, k, handle, f->cid, f->data, f->len);
		free(f);
	}
	if (k->busy_told && k->hq_count <= L2CAP_HOSTQ_LOW) {
		for (uint16_t cid = 0; cid < 64; cid++)
			if (k->busy_told & (1ull << cid))
				tell_busy(l, k, cid, false);
		k->busy_told = 0;
	}
	for (unsigned i = 0; i < L2CAP_CHAN_MAX && l2cap_host_room(k); i++)
		if (k->chan[i].state == L2CAP_CHAN_OPEN && k->chan[i].txq_head)
			l2cap_tx_pump(l, k, &k->chan[i]);
}

void l2cap_host_link_down(struct l2cap *l, struct l2cap_link *k)
{
	l->st.host_backlog_flushed += k->hq_count;
	list_free(&k->hq_head, &k->hq_tail);
	list_free(&k->sent_head, &k->sent_tail);
	k->hq_count = 0;
	k->sent_count = 0;
	k->busy_told = 0;
}
