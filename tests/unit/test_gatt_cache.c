/* The GATT client's cache of peers' databases (gatt_cache.h): filled on a
 * link, used on a later link to the same peer when the Database Hash is
 * the same, dropped when it differs, on Service Changed, on Database Out
 * Of Sync; requests held while the hash is read. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../actors/gatt/gatt_cache.h"
#include "../../actors/gatt/gatt_db.h"

static const uint8_t PEER[7] = { 0, 1, 2, 3, 4, 5, 6 };
static const uint8_t OTHER[7] = { 1, 9, 9, 9, 9, 9, 9 };
static const uint8_t HASH1[16] = { 1 };
static const uint8_t HASH2[16] = { 2 };

static const struct gatt_client_req SERVICES = { .type = GATT_PROC_DISCOVER_SERVICES };
static const struct gatt_client_req CHARS = { .type = GATT_PROC_DISCOVER_CHARACTERISTICS,
					      .start = 1, .end = 0xffff };

/* Two services and the Service Changed characteristic (value 0x0a). */
static struct gatt_client_event svc[2], chr[1];

static void items_init(void)
{
	svc[0] = (struct gatt_client_event){ .type = GATT_CEV_SERVICE, .handle = 1, .end = 7,
					     .uuid = att_uuid16(0x1800) };
	svc[1] = (struct gatt_client_event){ .type = GATT_CEV_SERVICE, .handle = 8, .end = 0x11,
					     .uuid = att_uuid16(0x1801) };
	chr[0] = (struct gatt_client_event){ .type = GATT_CEV_CHARACTERISTIC, .handle = 9,
					     .value_handle = 0x0a,
					     .uuid = att_uuid16(GATT_SERVICE_CHANGED_UUID) };
}

/* A first link fills the cache and reads the hash. */
static void fill(struct gatt_cache *c)
{
	items_init();
	gatt_cache_init(c);
	gatt_cache_connected(c, 0x40, PEER);
	cr_assert_eq(gatt_cache_on_request(c, 0x40, &SERVICES, "app", 1), GATT_CACHE_MISS);
	cr_assert(gatt_cache_store(c, 0x40, 0, svc, 2), "the hash should be asked for");
	gatt_cache_checking(c, 0x40, 77);
	uint16_t conn;
	cr_assert(gatt_cache_is_check(c, 77, &conn) && conn == 0x40);
	/* A discovery during the hash read waits for it. */
	cr_assert_eq(gatt_cache_on_request(c, 0x40, &CHARS, "app", 2), GATT_CACHE_HOLD);
	struct gatt_cache_held h;
	cr_assert_not(gatt_cache_next_held(c, &h));
	gatt_cache_hash_result(c, 0x40, HASH1);
	cr_assert(gatt_cache_next_held(c, &h));
	cr_assert(h.request_id == 2 && h.conn == 0x40 && !strcmp(h.asker, "app"));
	cr_assert_eq(gatt_cache_on_request(c, 0x40, &h.req, h.asker, h.request_id),
		     GATT_CACHE_MISS);
	cr_assert_not(gatt_cache_store(c, 0x40, 1, chr, 1));
	/* On this link the cache answers at once. */
	cr_assert_eq(gatt_cache_on_request(c, 0x40, &SERVICES, "app", 3), GATT_CACHE_HIT);
	gatt_cache_disconnected(c, 0x40);
}

Test(gatt_cache, same_hash_on_reconnection_reuses_the_cache)
{
	struct gatt_cache c;
	fill(&c);
	gatt_cache_connected(&c, 0x41, PEER);
	cr_assert_eq(gatt_cache_on_request(&c, 0x41, &SERVICES, "app", 4), GATT_CACHE_CHECK);
	gatt_cache_checking(&c, 0x41, 78);
	cr_assert_eq(gatt_cache_on_request(&c, 0x41, &CHARS, "app", 5), GATT_CACHE_HOLD);
	gatt_cache_hash_result(&c, 0x41, HASH1);
	struct gatt_cache_held h;
	cr_assert(gatt_cache_next_held(&c, &h) && h.request_id == 4);
	cr_assert_eq(gatt_cache_on_request(&c, 0x41, &h.req, h.asker, 4), GATT_CACHE_HIT);
	const struct gatt_client_event *it;
	size_t n;
	cr_assert(gatt_cache_items(&c, 0x41, 0, &it, &n) && n == 2 && it[1].handle == 8);
	cr_assert(gatt_cache_next_held(&c, &h) && h.request_id == 5);
	cr_assert_eq(gatt_cache_on_request(&c, 0x41, &h.req, h.asker, 5), GATT_CACHE_HIT);
	cr_assert(gatt_cache_items(&c, 0x41, 1, &it, &n) && n == 1 && it[0].value_handle == 0x0a);
	/* Not cached: a range, a UUID, a read. */
	struct gatt_client_req part = CHARS;
	part.start = 0x10;
	cr_assert_eq(gatt_cache_on_request(&c, 0x41, &part, "app", 6), GATT_CACHE_MISS);
	struct gatt_client_req rd = { .type = GATT_PROC_READ, .handle = 3 };
	cr_assert_eq(gatt_cache_on_request(&c, 0x41, &rd, "app", 7), GATT_CACHE_MISS);
	/* Another peer has its own (empty) entry. */
	gatt_cache_connected(&c, 0x42, OTHER);
	cr_assert_eq(gatt_cache_on_request(&c, 0x42, &SERVICES, "app", 8), GATT_CACHE_MISS);
	gatt_cache_fini(&c);
}

Test(gatt_cache, another_hash_or_none_drops_the_cache)
{
	struct gatt_cache c;
	fill(&c);
	gatt_cache_connected(&c, 0x41, PEER);
	cr_assert_eq(gatt_cache_on_request(&c, 0x41, &SERVICES, "app", 4), GATT_CACHE_CHECK);
	gatt_cache_checking(&c, 0x41, 78);
	gatt_cache_hash_result(&c, 0x41, HASH2);
	struct gatt_cache_held h;
	cr_assert(gatt_cache_next_held(&c, &h));
	cr_assert_eq(gatt_cache_on_request(&c, 0x41, &h.req, h.asker, 4), GATT_CACHE_MISS);
	/* Refilled under the new hash: no second hash read. */
	cr_assert_not(gatt_cache_store(&c, 0x41, 0, svc, 2));
	cr_assert_eq(gatt_cache_on_request(&c, 0x41, &SERVICES, "app", 5), GATT_CACHE_HIT);
	gatt_cache_disconnected(&c, 0x41);

	/* A peer without a hash cannot be checked: nothing is kept. */
	gatt_cache_connected(&c, 0x43, PEER);
	cr_assert_eq(gatt_cache_on_request(&c, 0x43, &SERVICES, "app", 6), GATT_CACHE_CHECK);
	gatt_cache_checking(&c, 0x43, 79);
	gatt_cache_hash_result(&c, 0x43, NULL);
	cr_assert(gatt_cache_next_held(&c, &h));
	cr_assert_eq(gatt_cache_on_request(&c, 0x43, &h.req, h.asker, 6), GATT_CACHE_MISS);
	cr_assert_not(gatt_cache_store(&c, 0x43, 0, svc, 2));
	cr_assert_eq(gatt_cache_on_request(&c, 0x43, &SERVICES, "app", 7), GATT_CACHE_MISS);
	gatt_cache_fini(&c);
}

Test(gatt_cache, service_changed_and_out_of_sync_drop_the_cache)
{
	struct gatt_cache c;
	fill(&c);
	gatt_cache_connected(&c, 0x41, PEER);
	gatt_cache_checking(&c, 0x41, 78);
	gatt_cache_hash_result(&c, 0x41, HASH1);
	cr_assert_eq(gatt_cache_on_request(&c, 0x41, &SERVICES, "app", 4), GATT_CACHE_HIT);
	/* Another indication changes nothing. */
	cr_assert_not(gatt_cache_indication(&c, 0x41, 0x14));
	cr_assert_eq(gatt_cache_on_request(&c, 0x41, &SERVICES, "app", 5), GATT_CACHE_HIT);
	cr_assert(gatt_cache_indication(&c, 0x41, 0x0a));
	cr_assert_eq(gatt_cache_on_request(&c, 0x41, &SERVICES, "app", 6), GATT_CACHE_MISS);
	/* Refilled: a new hash is read for it. */
	cr_assert(gatt_cache_store(&c, 0x41, 0, svc, 2));
	gatt_cache_checking(&c, 0x41, 80);
	gatt_cache_hash_result(&c, 0x41, HASH2);
	cr_assert_eq(gatt_cache_on_request(&c, 0x41, &SERVICES, "app", 7), GATT_CACHE_HIT);
	gatt_cache_invalidate(&c, 0x41);
	cr_assert_eq(gatt_cache_on_request(&c, 0x41, &SERVICES, "app", 8), GATT_CACHE_MISS);
	gatt_cache_fini(&c);
}

Test(gatt_cache, a_link_without_an_address_is_never_cached)
{
	struct gatt_cache c;
	items_init();
	gatt_cache_init(&c);
	gatt_cache_connected(&c, 0x40, NULL);
	cr_assert_eq(gatt_cache_on_request(&c, 0x40, &SERVICES, "app", 1), GATT_CACHE_MISS);
	cr_assert_not(gatt_cache_store(&c, 0x40, 0, svc, 2));
	cr_assert_eq(gatt_cache_on_request(&c, 0x40, &SERVICES, "app", 2), GATT_CACHE_MISS);
	gatt_cache_fini(&c);
}
