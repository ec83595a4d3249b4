/* ACL reassembly, fragmentation and credits: see host_acl.h. */
#include "host_acl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hci_codec.h"

static uint16_t frag_size(uint16_t mtu)
{
	if (!mtu)
		return 27; /* the LE minimum */
	return mtu > HOST_ACL_FRAG_MAX ? HOST_ACL_FRAG_MAX : mtu;
}

void host_acl_init(struct host_acl *acl, uint16_t mtu, unsigned total)
{
	memset(acl, 0, sizeof *acl);
	acl->mtu = frag_size(mtu);
	acl->total = total;
	acl->free = total;
}

static unsigned in_flight_total(const struct host_acl *acl)
{
	unsigned n = 0;
	for (unsigned i = 0; i < HOST_LINKS_MAX; i++)
		if (acl->link[i].in_use && !(acl->link[i].bredr && acl->br_total))
			n += acl->link[i].in_flight;
	return n;
}

void host_acl_set_buffers(struct host_acl *acl, uint16_t mtu, unsigned total)
{
	unsigned busy = in_flight_total(acl);
	acl->mtu = frag_size(mtu);
	acl->total = total;
	acl->free = total > busy ? total - busy : 0;
}

void host_acl_set_bredr_buffers(struct host_acl *acl, uint16_t mtu, unsigned total)
{
	unsigned busy = 0;
	for (unsigned i = 0; i < HOST_LINKS_MAX; i++)
		if (acl->link[i].in_use && acl->link[i].bredr)
			busy += acl->link[i].in_flight;
	acl->br_mtu = frag_size(mtu);
	acl->br_total = total;
	acl->br_free = total > busy ? total - busy : 0;
}

/* The pool a link's fragments use: its mtu, and its free count. */
static bool br_pool(const struct host_acl *acl, const struct host_acl_link *l)
{
	return l->bredr && acl->br_total;
}

static unsigned *pool_free(struct host_acl *acl, const struct host_acl_link *l)
{
	return br_pool(acl, l) ? &acl->br_free : &acl->free;
}

static void pool_give(struct host_acl *acl, const struct host_acl_link *l, unsigned n)
{
	unsigned *f = pool_free(acl, l), total = br_pool(acl, l) ? acl->br_total : acl->total;
	*f += n;
	if (*f > total)
		*f = total;
}

static uint16_t link_mtu(const struct host_acl *acl, const struct host_acl_link *l)
{
	return br_pool(acl, l) ? acl->br_mtu : acl->mtu;
}

static void link_clear(struct host_acl_link *l)
{
	for (unsigned i = 0; i < l->tx_count; i++)
		free(l->txq[(l->tx_head + i) % HOST_ACL_TXQ_MAX].data);
	free(l->rx);
	memset(l, 0, sizeof *l);
}

void host_acl_fini(struct host_acl *acl)
{
	for (unsigned i = 0; i < HOST_LINKS_MAX; i++)
		if (acl->link[i].in_use)
			link_clear(&acl->link[i]);
}

static struct host_acl_link *find(struct host_acl *acl, uint16_t handle)
{
	for (unsigned i = 0; i < HOST_LINKS_MAX; i++)
		if (acl->link[i].in_use && acl->link[i].handle == handle)
			return &acl->link[i];
	return NULL;
}

int host_acl_link_set_bredr(struct host_acl *acl, uint16_t handle)
{
	struct host_acl_link *l = find(acl, handle);
	if (!l)
		return -ENOENT;
	l->bredr = true;
	return 0;
}

bool host_acl_link_known(const struct host_acl *acl, uint16_t handle)
{
	return find((struct host_acl *)acl, handle) != NULL;
}

int host_acl_link_add(struct host_acl *acl, uint16_t handle)
{
	if (find(acl, handle))
		return -EEXIST;
	for (unsigned i = 0; i < HOST_LINKS_MAX; i++) {
		struct host_acl_link *l = &acl->link[i];
		if (l->in_use)
			continue;
		memset(l, 0, sizeof *l);
		l->rx = malloc(HOST_L2CAP_FRAME_MAX);
		if (!l->rx)
			return -ENOMEM;
		l->in_use = true;
		l->handle = handle;
		l->credit_reset = true;
		return 0;
	}
	return -ENOSPC;
}

int host_acl_link_remove(struct host_acl *acl, uint16_t handle)
{
	struct host_acl_link *l = find(acl, handle);
	if (!l)
		return -ENOENT;
	int dropped = (int)l->tx_count;
	acl->st.tx_flushed += l->tx_count;
	pool_give(acl, l, l->in_flight);
	link_clear(l);
	return dropped;
}

int host_acl_rx(struct host_acl *acl, const uint8_t *pkt, size_t len, uint16_t *handle,
		const uint8_t **frame, size_t *frame_len)
{
	struct hci_acl_header h;
	const uint8_t *data;
	if (hci_acl_parse(pkt, len, &h, &data) < 0) {
		acl->st.rx_malformed++;
		return -EBADMSG;
	}
	struct host_acl_link *l = find(acl, h.handle);
	if (!l) {
		acl->st.rx_unknown_handle++;
		return -ENOENT;
	}
	*handle = h.handle;
	if (h.pb == HCI_ACL_PB_CONT) {
		if (!l->rx_active) {
			acl->st.rx_no_start++;
			return -EPROTO;
		}
	} else {
		if (l->rx_active)
			acl->st.rx_abandoned++;
		l->rx_active = true;
		l->rx_have = 0;
	}
	if (h.len > HOST_L2CAP_FRAME_MAX - l->rx_have) {
		l->rx_active = false;
		acl->st.rx_too_long++;
		return -EPROTO;
	}
	memcpy(l->rx + l->rx_have, data, h.len);
	l->rx_have += h.len;
	if (l->rx_have < L2CAP_HDR_LEN)
		return 0;
	struct rd r = rd_init(l->rx, L2CAP_HDR_LEN);
	size_t want = (size_t)rd_le16(&r) + L2CAP_HDR_LEN;
	if (l->rx_have < want)
		return 0;
	l->rx_active = false;
	if (l->rx_have > want) {
		acl->st.rx_too_long++;
		return -EPROTO;
	}
	acl->st.rx_frames++;
	*frame = l->rx;
	*frame_len = l->rx_have;
	return 1;
}

int host_acl_tx_submit(struct host_acl *acl, uint16_t handle, const uint8_t *frame, size_t len)
{
	struct host_acl_link *l = find(acl, handle);
	int err = 0;
	struct rd r = rd_init(frame, len);
	uint16_t l2len = rd_le16(&r);
	if (!l)
		err = -ENOENT;
	else if (!rd_ok(&r) || len < L2CAP_HDR_LEN || (size_t)l2len + L2CAP_HDR_LEN != len)
		err = -EINVAL;
	else if (l->tx_count == HOST_ACL_TXQ_MAX)
		err = -ENOBUFS;
	if (!err) {
		uint8_t *copy = malloc(len);
		if (!copy) {
			err = -ENOMEM;
		} else {
			memcpy(copy, frame, len);
			struct host_acl_frame *f =
				&l->txq[(l->tx_head + l->tx_count) % HOST_ACL_TXQ_MAX];
			f->data = copy;
			f->len = len;
			f->off = 0;
			l->tx_count++;
			acl->st.tx_frames++;
		}
	}
	if (err)
		acl->st.tx_refused++;
	return err;
}

int host_acl_tx_next(struct host_acl *acl, uint8_t *out, size_t cap)
{
	if (!acl->free && !acl->br_free)
		return 0;
	for (unsigned k = 0; k < HOST_LINKS_MAX; k++) {
		unsigned i = (acl->rr + k) % HOST_LINKS_MAX;
		struct host_acl_link *l = &acl->link[i];
		if (!l->in_use || !l->tx_count || !*pool_free(acl, l))
			continue;
		struct host_acl_frame *f = &l->txq[l->tx_head];
		size_t n = f->len - f->off, mtu = link_mtu(acl, l);
		if (n > mtu)
			n = mtu;
		if (cap < HCI_ACL_HDR_LEN + n)
			return -EMSGSIZE;
		struct wr w = wr_init(out, cap);
		hci_acl_header_write(&w, l->handle,
				     f->off ? HCI_ACL_PB_CONT : HCI_ACL_PB_START_NONFLUSH,
				     (uint16_t)n);
		wr_bytes(&w, f->data + f->off, n);
		f->off += n;
		if (f->off == f->len) {
			free(f->data);
			f->data = NULL;
			l->tx_head = (l->tx_head + 1) % HOST_ACL_TXQ_MAX;
			l->tx_count--;
			l->tx_done++;
		}
		l->in_flight++;
		(*pool_free(acl, l))--;
		acl->st.tx_fragments++;
		acl->rr = (i + 1) % HOST_LINKS_MAX;
		return (int)w.len;
	}
	return 0;
}

unsigned host_acl_completed(struct host_acl *acl, uint16_t handle, unsigned packets)
{
	struct host_acl_link *l = find(acl, handle);
	unsigned n = 0;
	if (l) {
		n = packets < l->in_flight ? packets : l->in_flight;
		l->in_flight -= n;
		pool_give(acl, l, n);
		/* Beyond what it has in flight: the predecessor's packets. */
		unsigned *debt = br_pool(acl, l) ? &acl->br_debt : &acl->debt;
		unsigned paid = packets - n < *debt ? packets - n : *debt;
		*debt -= paid;
		pool_give(acl, l, paid);
		n += paid;
	}
	if (n < packets)
		acl->st.completed_unknown += packets - n;
	return n;
}

void host_acl_resume(struct host_acl *acl, uint64_t until_ms)
{
	acl->debt = acl->free;
	acl->free = 0;
	acl->br_debt = acl->br_free;
	acl->br_free = 0;
	acl->debt_until_ms = until_ms;
}

void host_acl_on_time(struct host_acl *acl, uint64_t now_ms)
{
	if ((!acl->debt && !acl->br_debt) || now_ms < acl->debt_until_ms)
		return;
	acl->free += acl->debt;
	if (acl->free > acl->total)
		acl->free = acl->total;
	acl->br_free += acl->br_debt;
	if (acl->br_free > acl->br_total)
		acl->br_free = acl->br_total;
	acl->debt = acl->br_debt = 0;
}

uint64_t host_acl_deadline(const struct host_acl *acl)
{
	return acl->debt || acl->br_debt ? acl->debt_until_ms : UINT64_MAX;
}

unsigned host_acl_take_credits(struct host_acl_link *l, bool *reset)
{
	unsigned n = l->in_use ? l->tx_done : 0;
	*reset = l->in_use && l->credit_reset;
	if (*reset)
		n = HOST_ACL_L2CAP_WINDOW;
	l->tx_done = 0;
	l->credit_reset = false;
	return n;
}

unsigned host_acl_pending(const struct host_acl *acl, uint16_t handle)
{
	unsigned n = 0;
	for (unsigned i = 0; i < HOST_LINKS_MAX; i++) {
		const struct host_acl_link *l = &acl->link[i];
		if (!l->in_use || (handle != 0xffff && l->handle != handle))
			continue;
		for (unsigned j = 0; j < l->tx_count; j++) {
			const struct host_acl_frame *f = &l->txq[(l->tx_head + j) % HOST_ACL_TXQ_MAX];
			size_t left = f->len - f->off, mtu = link_mtu(acl, l);
			n += (unsigned)((left + mtu - 1) / mtu);
		}
	}
	return n;
}
