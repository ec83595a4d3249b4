/* The link watcher of the whole-stack tests: see link_watch_util.h. */
#include "link_watch_util.h"

#include <criterion/criterion.h>

static void on_link(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		    void *arg)
{
	struct link_watch *w = arg;
	const Hive__LinkEvent *le = env->link;
	switch (le->kind_case) {
	case HIVE__LINK_EVENT__KIND_CONNECTED:
		w->connected = true;
		w->handle = le->handle;
		break;
	case HIVE__LINK_EVENT__KIND_ENCRYPTION_CHANGED:
		if (le->encryption_changed->enabled && le->encryption_changed->status == 0)
			w->encrypted = true;
		break;
	case HIVE__LINK_EVENT__KIND_DISCONNECTED:
		w->disconnected = true;
		break;
	default:
		break;
	}
}

static void on_result(struct hive_actor *a, const char *source, const Hive__Envelope *env,
		      void *arg)
{
	struct link_watch *w = arg;
	if (env->result->status == 0)
		w->subscribed = true;
}

struct hive_actor *link_watcher(const char *run_dir, const char *name, struct link_watch *w)
{
	struct hive_actor *a = th_actor(run_dir, name);
	cr_assert_not_null(a);
	hive_on(a, HIVE__ENVELOPE__BODY_LINK, on_link, w);
	hive_on(a, HIVE__ENVELOPE__BODY_RESULT, on_result, w);
	Hive__LinkSubscribe ls = HIVE__LINK_SUBSCRIBE__INIT;
	Hive__Request req = HIVE__REQUEST__INIT;
	req.id = 1;
	req.op_case = HIVE__REQUEST__OP_LINK_SUBSCRIBE;
	req.link_subscribe = &ls;
	Hive__Envelope env = HIVE__ENVELOPE__INIT;
	env.body_case = HIVE__ENVELOPE__BODY_REQUEST;
	env.request = &req;
	cr_assert_eq(hive_send(a, "host", &env), 0);
	cr_assert(th_run_until(a, &w->subscribed, TH_DEADLINE_MS), "host took no link subscription");
	return a;
}
