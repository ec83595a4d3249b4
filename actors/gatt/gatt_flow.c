/* Back-pressure of the ATT PDUs to l2cap: see gatt_flow.h. */
#include "gatt_flow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gatt_flow_init(struct gatt_flow *f)
{
	memset(f, 0, sizeof *f);
}

static void drop_all(struct gatt_flow_conn *c)
{
	while (c->head) {
		struct gatt_flow_pdu *p = c->head;
		c->head = p->next;
		free(p);
	}
	c->tail = NULL;
	c->count = 0;
}

void gatt_flow_fini(struct gatt_flow *f)
{
	for (unsigned i = 0; i < GATT_FLOW_CONN_MAX; i++)
		drop_all(&f->c[i]);
}

static struct gatt_flow_conn *find(struct gatt_flow *f, uint16_t conn, bool add)
{
	struct gatt_flow_conn *free_slot = NULL;
	for (unsigned i = 0; i < GATT_FLOW_CONN_MAX; i++) {
		struct gatt_flow_conn *c = &f->c[i];
		if (c->used && c->conn == conn)
			return c;
		if (!c->used && !free_slot)
			free_slot = c;
	}
	if (!add || !free_slot)
		return NULL;
	memset(free_slot, 0, sizeof *free_slot);
	free_slot->used = true;
	free_slot->conn = conn;
	return free_slot;
}

void gatt_flow_set_busy(struct gatt_flow *f, uint16_t conn, bool busy)
{
	struct gatt_flow_conn *c = find(f, conn, busy);
	if (c)
		c->busy = busy;
}

bool gatt_flow_refuse(struct gatt_flow *f, uint16_t conn)
{
	for (unsigned i = 0; i < GATT_FLOW_CONN_MAX; i++) {
		const struct gatt_flow_conn *c = &f->c[i];
		if (c->used && (conn == GATT_FLOW_ANY || c->conn == conn) &&
		    c->count >= GATT_FLOW_ADMIT) {
			f->st.refused++;
			return true;
		}
	}
	return false;
}

int gatt_flow_submit(struct gatt_flow *f, uint16_t conn, const uint8_t *pdu, size_t len,
		     int token)
{
	struct gatt_flow_conn *c = find(f, conn, false);
	if (!c || (!c->busy && !c->head))
		return 0;
	if (c->count >= GATT_FLOW_HOLD_MAX || len > UINT16_MAX) {
		f->st.dropped++;
		return -ENOBUFS;
	}
	struct gatt_flow_pdu *p = malloc(sizeof *p + len);
	if (!p)
		return -ENOMEM;
	p->next = NULL;
	p->token = token;
	p->len = (uint16_t)len;
	memcpy(p->pdu, pdu, len);
	if (c->tail)
		c->tail->next = p;
	else
		c->head = p;
	c->tail = p;
	c->count++;
	f->st.held++;
	if (c->count > f->st.held_max)
		f->st.held_max = c->count;
	if (token >= 0)
		f->t[token].left++;
	return 1;
}

struct gatt_flow_pdu *gatt_flow_next(struct gatt_flow *f, uint16_t *conn)
{
	for (unsigned i = 0; i < GATT_FLOW_CONN_MAX; i++) {
		struct gatt_flow_conn *c = &f->c[i];
		if (!c->used || c->busy || !c->head)
			continue;
		struct gatt_flow_pdu *p = c->head;
		c->head = p->next;
		if (!c->head)
			c->tail = NULL;
		c->count--;
		*conn = c->conn;
		return p;
	}
	return NULL;
}

/* One waiting PDU of token is gone: the token if its Result may go now. */
static int piece_done(struct gatt_flow *f, int token)
{
	if (token < 0 || !f->t[token].used)
		return -1;
	struct gatt_flow_token *t = &f->t[token];
	if (t->left)
		t->left--;
	return t->closed && !t->left ? token : -1;
}

int gatt_flow_sent(struct gatt_flow *f, struct gatt_flow_pdu *p)
{
	int token = p->token;
	free(p);
	return piece_done(f, token);
}

void gatt_flow_conn_down(struct gatt_flow *f, uint16_t conn,
			 void (*done)(int token, void *arg), void *arg)
{
	struct gatt_flow_conn *c = find(f, conn, false);
	if (!c)
		return;
	while (c->head) {
		struct gatt_flow_pdu *p = c->head;
		c->head = p->next;
		c->count--;
		f->st.dropped++;
		int t = gatt_flow_sent(f, p);
		if (t >= 0)
			done(t, arg);
	}
	c->tail = NULL;
	c->used = false;
}

int gatt_flow_token_open(struct gatt_flow *f, const char *asker, uint64_t id, uint16_t conn,
			 uint32_t count)
{
	for (int i = 0; i < GATT_FLOW_TOKENS; i++) {
		struct gatt_flow_token *t = &f->t[i];
		if (t->used)
			continue;
		memset(t, 0, sizeof *t);
		t->used = true;
		snprintf(t->asker, sizeof t->asker, "%s", asker);
		t->id = id;
		t->conn = conn;
		t->count = count;
		return i;
	}
	return -1;
}

bool gatt_flow_token_close(struct gatt_flow *f, int token)
{
	if (token < 0)
		return true;
	struct gatt_flow_token *t = &f->t[token];
	t->closed = true;
	if (t->left)
		return false;
	t->used = false;
	return true;
}

void gatt_flow_token_free(struct gatt_flow *f, int token)
{
	if (token >= 0)
		f->t[token].used = false;
}
