/* The bond store in SQLite. See smp_bonds.h. */
#include "smp_bonds.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

struct smp_bonds {
	sqlite3 *db;
	bool crash_before_commit;
	bool scoped; /* list and delete without a local identity use scope */
	struct smp_addr scope;
};

void smp_bonds_set_scope(struct smp_bonds *s, const struct smp_addr *local)
{
	s->scoped = local != NULL;
	if (local)
		s->scope = *local;
}

const struct smp_addr *smp_bonds_scope(const struct smp_bonds *s)
{
	return s->scoped ? &s->scope : NULL;
}

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS bonds ("
	" local_type INTEGER NOT NULL, local_addr TEXT NOT NULL,"
	" peer_type INTEGER NOT NULL, peer_addr TEXT NOT NULL,"
	" key_size INTEGER NOT NULL, authenticated INTEGER NOT NULL, sc INTEGER NOT NULL,"
	" local_ltk BLOB, local_ediv INTEGER NOT NULL DEFAULT 0, local_rand INTEGER NOT NULL DEFAULT 0,"
	" peer_ltk BLOB, peer_ediv INTEGER NOT NULL DEFAULT 0, peer_rand INTEGER NOT NULL DEFAULT 0,"
	" peer_irk BLOB, peer_csrk BLOB, local_csrk BLOB,"
	" local_sign_counter INTEGER NOT NULL DEFAULT 0, peer_sign_counter INTEGER NOT NULL DEFAULT 0,"
	" created INTEGER NOT NULL,"
	" PRIMARY KEY (local_type, local_addr, peer_type, peer_addr));"
	"CREATE TABLE IF NOT EXISTS local_keys ("
	" local_type INTEGER NOT NULL, local_addr TEXT NOT NULL, irk BLOB NOT NULL,"
	" csrk BLOB NOT NULL, PRIMARY KEY (local_type, local_addr));";

#define COLUMNS                                                                            \
	"local_type, local_addr, peer_type, peer_addr, key_size, authenticated, sc, "      \
	"local_ltk, local_ediv, local_rand, peer_ltk, peer_ediv, peer_rand, peer_irk, "    \
	"peer_csrk, local_csrk, local_sign_counter, peer_sign_counter, created"

void smp_addr_format(const struct smp_addr *a, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s:%02X:%02X:%02X:%02X:%02X:%02X", a->type ? "random" : "public",
		 a->a[0], a->a[1], a->a[2], a->a[3], a->a[4], a->a[5]);
}

int smp_addr_parse(const char *text, struct smp_addr *out)
{
	struct smp_addr a = { 0 };
	unsigned v[6];
	char tail;
	if (strncmp(text, "public:", 7) == 0) {
		text += 7;
	} else if (strncmp(text, "random:", 7) == 0) {
		a.type = 1;
		text += 7;
	}
	if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &tail) != 6 || strlen(text) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		a.a[i] = (uint8_t)v[i];
	*out = a;
	return 0;
}

/* The address column: the address alone, most significant first. */
static void addr_text(const struct smp_addr *a, char buf[18])
{
	snprintf(buf, 18, "%02X:%02X:%02X:%02X:%02X:%02X", a->a[0], a->a[1], a->a[2], a->a[3],
		 a->a[4], a->a[5]);
}

static int addr_from_text(const unsigned char *t, int type, struct smp_addr *out)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%s:%s", type ? "random" : "public", t ? (const char *)t : "");
	return smp_addr_parse(buf, out);
}

const char *smp_bonds_error(const struct smp_bonds *s)
{
	return s && s->db ? sqlite3_errmsg(s->db) : "no store";
}

static int exec(struct smp_bonds *s, const char *sql)
{
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

/* Stores made before the gatt record existed get its column. */
static int add_gatt_column(struct smp_bonds *s)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT gatt FROM bonds LIMIT 0;", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_finalize(st);
		return 0;
	}
	return exec(s, "ALTER TABLE bonds ADD COLUMN gatt BLOB;");
}

int smp_bonds_open(struct smp_bonds **out, const char *path, char *err, size_t err_cap)
{
	struct smp_bonds *s = calloc(1, sizeof *s);
	int rc = -ENOMEM;
	*out = NULL;
	if (!s) {
		snprintf(err, err_cap, "out of memory");
		return rc;
	}
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		snprintf(err, err_cap, "cannot open the bond store %s: %s", path,
			 s->db ? sqlite3_errmsg(s->db) : "out of memory");
		rc = -EIO;
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if (exec(s, "PRAGMA journal_mode=WAL;") < 0 || !smp_bonds_wal(s) ||
	    exec(s, "PRAGMA synchronous=FULL;") < 0 || exec(s, schema) < 0 ||
	    add_gatt_column(s) < 0) {
		snprintf(err, err_cap, "cannot use the bond store %s: %s (is it an SQLite file "
			 "we may write?)", path, sqlite3_errmsg(s->db));
		rc = -EIO;
		goto fail;
	}
	*out = s;
	return 0;
fail:
	smp_bonds_close(&s);
	return rc;
}

void smp_bonds_close(struct smp_bonds **self_p)
{
	struct smp_bonds *s = *self_p;
	if (!s)
		return;
	sqlite3_close_v2(s->db);
	free(s);
	*self_p = NULL;
}

bool smp_bonds_wal(struct smp_bonds *s)
{
	sqlite3_stmt *st;
	bool wal = false;
	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode;", -1, &st, NULL) != SQLITE_OK)
		return false;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *m = sqlite3_column_text(st, 0);
		wal = m && strcmp((const char *)m, "wal") == 0;
	}
	sqlite3_finalize(st);
	return wal;
}

void smp_bonds_crash_before_commit(struct smp_bonds *s)
{
	s->crash_before_commit = true;
}

static void bind_key(sqlite3_stmt *st, int i, bool has, const uint8_t k[16])
{
	if (has)
		sqlite3_bind_blob(st, i, k, 16, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static bool column_key(sqlite3_stmt *st, int i, uint8_t k[16])
{
	memset(k, 0, 16);
	if (sqlite3_column_type(st, i) != SQLITE_BLOB || sqlite3_column_bytes(st, i) != 16)
		return false;
	memcpy(k, sqlite3_column_blob(st, i), 16);
	return true;
}

int smp_bonds_put(struct smp_bonds *s, const struct smp_bond *b)
{
	char la[18], pa[18];
	sqlite3_stmt *st = NULL;
	int rc = -EIO;
	addr_text(&b->local, la);
	addr_text(&b->peer, pa);
	if (exec(s, "BEGIN IMMEDIATE;") < 0)
		return -EIO;
	/* A new pairing with the same peer keeps its GATT record: the
	 * subquery reads it before the row is replaced. */
	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO bonds (" COLUMNS ", gatt) VALUES "
				      "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,"
				      "?18,?19,(SELECT gatt FROM bonds WHERE local_type=?1 AND "
				      "local_addr=?2 AND peer_type=?3 AND peer_addr=?4));",
			       -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int(st, 1, b->local.type);
	sqlite3_bind_text(st, 2, la, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 3, b->peer.type);
	sqlite3_bind_text(st, 4, pa, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 5, b->key_size);
	sqlite3_bind_int(st, 6, b->authenticated);
	sqlite3_bind_int(st, 7, b->sc);
	bind_key(st, 8, b->has_local_ltk, b->local_ltk);
	sqlite3_bind_int(st, 9, b->local_ediv);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)b->local_rand);
	bind_key(st, 11, b->has_peer_ltk, b->peer_ltk);
	sqlite3_bind_int(st, 12, b->peer_ediv);
	sqlite3_bind_int64(st, 13, (sqlite3_int64)b->peer_rand);
	bind_key(st, 14, b->has_peer_irk, b->peer_irk);
	bind_key(st, 15, b->has_peer_csrk, b->peer_csrk);
	bind_key(st, 16, b->has_local_csrk, b->local_csrk);
	sqlite3_bind_int64(st, 17, b->local_sign_counter);
	sqlite3_bind_int64(st, 18, b->peer_sign_counter);
	sqlite3_bind_int64(st, 19, b->created_s ? (sqlite3_int64)b->created_s
						: (sqlite3_int64)time(NULL));
	if (sqlite3_step(st) != SQLITE_DONE)
		goto out;
	if (s->crash_before_commit)
		_exit(3); /* tests: a crash with the row written, uncommitted */
	if (exec(s, "COMMIT;") == 0)
		rc = 0;
out:
	sqlite3_finalize(st);
	if (rc < 0)
		sqlite3_exec(s->db, "ROLLBACK;", NULL, NULL, NULL);
	return rc;
}

static void row_to_bond(sqlite3_stmt *st, struct smp_bond *b)
{
	memset(b, 0, sizeof *b);
	addr_from_text(sqlite3_column_text(st, 1), sqlite3_column_int(st, 0), &b->local);
	addr_from_text(sqlite3_column_text(st, 3), sqlite3_column_int(st, 2), &b->peer);
	b->key_size = (uint8_t)sqlite3_column_int(st, 4);
	b->authenticated = sqlite3_column_int(st, 5) != 0;
	b->sc = sqlite3_column_int(st, 6) != 0;
	b->has_local_ltk = column_key(st, 7, b->local_ltk);
	b->local_ediv = (uint16_t)sqlite3_column_int(st, 8);
	b->local_rand = (uint64_t)sqlite3_column_int64(st, 9);
	b->has_peer_ltk = column_key(st, 10, b->peer_ltk);
	b->peer_ediv = (uint16_t)sqlite3_column_int(st, 11);
	b->peer_rand = (uint64_t)sqlite3_column_int64(st, 12);
	b->has_peer_irk = column_key(st, 13, b->peer_irk);
	b->has_peer_csrk = column_key(st, 14, b->peer_csrk);
	b->has_local_csrk = column_key(st, 15, b->local_csrk);
	b->local_sign_counter = (uint32_t)sqlite3_column_int64(st, 16);
	b->peer_sign_counter = (uint32_t)sqlite3_column_int64(st, 17);
	b->created_s = (uint64_t)sqlite3_column_int64(st, 18);
}

int smp_bonds_get(struct smp_bonds *s, const struct smp_addr *local, const struct smp_addr *peer,
		  struct smp_bond *out)
{
	char la[18], pa[18];
	sqlite3_stmt *st;
	int rc;
	addr_text(local, la);
	addr_text(peer, pa);
	if (sqlite3_prepare_v2(s->db, "SELECT " COLUMNS " FROM bonds WHERE local_type=? AND "
				      "local_addr=? AND peer_type=? AND peer_addr=?;",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int(st, 1, local->type);
	sqlite3_bind_text(st, 2, la, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 3, peer->type);
	sqlite3_bind_text(st, 4, pa, -1, SQLITE_TRANSIENT);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		row_to_bond(st, out);
		rc = 0;
	} else {
		rc = step == SQLITE_DONE ? -ENOENT : -EIO;
	}
	sqlite3_finalize(st);
	return rc;
}

int smp_bonds_delete(struct smp_bonds *s, const struct smp_addr *local, const struct smp_addr *peer)
{
	char la[18], pa[18];
	sqlite3_stmt *st;
	addr_text(peer, pa);
	if (!local)
		local = smp_bonds_scope(s);
	const char *sql = local ? "DELETE FROM bonds WHERE peer_type=? AND peer_addr=? AND "
				  "local_type=? AND local_addr=?;"
				: "DELETE FROM bonds WHERE peer_type=? AND peer_addr=?;";
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int(st, 1, peer->type);
	sqlite3_bind_text(st, 2, pa, -1, SQLITE_TRANSIENT);
	if (local) {
		addr_text(local, la);
		sqlite3_bind_int(st, 3, local->type);
		sqlite3_bind_text(st, 4, la, -1, SQLITE_TRANSIENT);
	}
	int rc = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(s->db) : -EIO;
	sqlite3_finalize(st);
	return rc;
}

int smp_bonds_list(struct smp_bonds *s, const struct smp_addr *local, struct smp_bond *out,
		   size_t cap)
{
	char la[18];
	sqlite3_stmt *st;
	if (!local)
		local = smp_bonds_scope(s);
	const char *sql = local ? "SELECT " COLUMNS " FROM bonds WHERE local_type=? AND "
				  "local_addr=? ORDER BY created, peer_addr;"
				: "SELECT " COLUMNS " FROM bonds ORDER BY created, peer_addr;";
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	if (local) {
		addr_text(local, la);
		sqlite3_bind_int(st, 1, local->type);
		sqlite3_bind_text(st, 2, la, -1, SQLITE_TRANSIENT);
	}
	int n = 0, step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if ((size_t)n < cap)
			row_to_bond(st, &out[n]);
		n++;
	}
	sqlite3_finalize(st);
	return step == SQLITE_DONE ? n : -EIO;
}

int smp_bonds_set_counters(struct smp_bonds *s, const struct smp_addr *local,
			   const struct smp_addr *peer, uint32_t local_counter, uint32_t peer_counter)
{
	char la[18], pa[18];
	sqlite3_stmt *st;
	addr_text(local, la);
	addr_text(peer, pa);
	if (sqlite3_prepare_v2(s->db, "UPDATE bonds SET local_sign_counter=?, peer_sign_counter=? "
				      "WHERE local_type=? AND local_addr=? AND peer_type=? AND "
				      "peer_addr=?;",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, local_counter);
	sqlite3_bind_int64(st, 2, peer_counter);
	sqlite3_bind_int(st, 3, local->type);
	sqlite3_bind_text(st, 4, la, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 5, peer->type);
	sqlite3_bind_text(st, 6, pa, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st) == SQLITE_DONE ? (sqlite3_changes(s->db) ? 0 : -ENOENT) : -EIO;
	sqlite3_finalize(st);
	return rc;
}

int smp_bonds_local_keys(struct smp_bonds *s, const struct smp_addr *local,
			 void (*rand)(void *arg, void *buf, size_t n), void *arg, uint8_t irk[16],
			 uint8_t csrk[16])
{
	char la[18];
	sqlite3_stmt *st;
	int rc = -EIO;
	addr_text(local, la);
	if (sqlite3_prepare_v2(s->db, "SELECT irk, csrk FROM local_keys WHERE local_type=? AND "
				      "local_addr=?;",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int(st, 1, local->type);
	sqlite3_bind_text(st, 2, la, -1, SQLITE_TRANSIENT);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW && column_key(st, 0, irk) && column_key(st, 1, csrk))
		rc = 0;
	sqlite3_finalize(st);
	if (rc == 0 || step != SQLITE_DONE)
		return rc;
	rand(arg, irk, 16);
	rand(arg, csrk, 16);
	if (sqlite3_prepare_v2(s->db, "INSERT INTO local_keys (local_type, local_addr, irk, csrk) "
				      "VALUES (?,?,?,?);",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int(st, 1, local->type);
	sqlite3_bind_text(st, 2, la, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 3, irk, 16, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 4, csrk, 16, SQLITE_TRANSIENT);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
	sqlite3_finalize(st);
	return rc;
}

/* The WHERE clause of one bond, bound from index i. */
#define ONE_BOND "local_type=? AND local_addr=? AND peer_type=? AND peer_addr=?"

static void bind_bond(sqlite3_stmt *st, int i, const struct smp_addr *local,
		      const struct smp_addr *peer)
{
	char la[18], pa[18];
	addr_text(local, la);
	addr_text(peer, pa);
	sqlite3_bind_int(st, i, local->type);
	sqlite3_bind_text(st, i + 1, la, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, i + 2, peer->type);
	sqlite3_bind_text(st, i + 3, pa, -1, SQLITE_TRANSIENT);
}

int smp_bonds_set_gatt(struct smp_bonds *s, const struct smp_addr *local,
		       const struct smp_addr *peer, const uint8_t *record, size_t len)
{
	sqlite3_stmt *st;
	if (len > SMP_BONDS_GATT_MAX)
		return -EMSGSIZE;
	/* One statement: SQLite applies it whole or not at all. */
	if (sqlite3_prepare_v2(s->db, "UPDATE bonds SET gatt=? WHERE " ONE_BOND ";", -1, &st,
			       NULL) != SQLITE_OK)
		return -EIO;
	if (len)
		sqlite3_bind_blob(st, 1, record, (int)len, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 1);
	bind_bond(st, 2, local, peer);
	int rc = sqlite3_step(st) == SQLITE_DONE ? (sqlite3_changes(s->db) ? 0 : -ENOENT) : -EIO;
	sqlite3_finalize(st);
	return rc;
}

int smp_bonds_get_gatt(struct smp_bonds *s, const struct smp_addr *local,
		       const struct smp_addr *peer, uint8_t *buf, size_t cap)
{
	sqlite3_stmt *st;
	int rc;
	if (sqlite3_prepare_v2(s->db, "SELECT gatt FROM bonds WHERE " ONE_BOND ";", -1, &st,
			       NULL) != SQLITE_OK)
		return -EIO;
	bind_bond(st, 1, local, peer);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		int n = sqlite3_column_bytes(st, 0);
		const void *p = sqlite3_column_blob(st, 0);
		if ((size_t)n > cap) {
			rc = -EMSGSIZE;
		} else {
			if (n)
				memcpy(buf, p, (size_t)n);
			rc = n;
		}
	} else {
		rc = step == SQLITE_DONE ? -ENOENT : -EIO;
	}
	sqlite3_finalize(st);
	return rc;
}
