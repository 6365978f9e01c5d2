// postgrest-js (@supabase/postgrest-js) against a real pgrestd over the demo database (conf/demo.sql).
//
// Each test("name", fn) is one case; run.mjs runs them and tests/clients/test_postgrest_js.py reads the
// names from this file (one pytest test per case), so keep every name a plain double-quoted string on the
// line of its test( call. The expected values are what PostgREST answers for the same requests.
// Writes are made as the demo's web_user role ("alice" and "bob"); each case removes what it added.

import assert from "node:assert/strict";
import { PostgrestClient, PostgrestError } from "@supabase/postgrest-js";

export const cases = [];

function test(name, fn) {
  cases.push({ name, fn });
}

const ALL_FILMS = 12;
const ALL_ACTORS = 15;
const PUBLISHED_REVIEWS = 9;

function client(ctx, user) {
  const headers = user ? { Authorization: `Bearer ${ctx.tokens[user]}` } : {};
  // No retries: a failure must show at once, not after back-off.
  return new PostgrestClient(ctx.url, { schema: "api", headers, retry: false });
}

const anon = (ctx) => client(ctx);
const alice = (ctx) => client(ctx, "alice");
const bob = (ctx) => client(ctx, "bob");

// The data of a successful response, or an assertion error carrying the response's error object.
function ok(res, status = 200) {
  assert.equal(res.error, null, `unexpected error (HTTP ${res.status}): ${JSON.stringify(res.error)}`);
  assert.equal(res.status, status, `HTTP status of a response with data ${JSON.stringify(res.data)}`);
  return res.data;
}

function failed(res, status) {
  assert.equal(res.data, null, `expected an error, got data ${JSON.stringify(res.data)}`);
  assert.equal(res.status, status, `HTTP status of the error ${JSON.stringify(res.error)}`);
  return res.error;
}

const titles = (rows) => rows.map((r) => r.title);

async function removeTestActors(ctx) {
  const res = await alice(ctx).from("actors").delete().like("name", "JS Test%");
  assert.equal(res.error, null, JSON.stringify(res.error));
}

async function filmId(ctx, title) {
  return ok(await anon(ctx).from("films").select("id").eq("title", title).single()).id;
}

// -- select: embedding and spreading ---------------------------------------------------------------

test("embed many-to-one", async (ctx) => {
  const res = await anon(ctx)
    .from("films")
    .select("title, directors(name, nationality)")
    .eq("title", "Inception");
  assert.deepEqual(ok(res), [
    { title: "Inception", directors: { name: "Christopher Nolan", nationality: "United Kingdom" } },
  ]);
  assert.equal(res.count, null);
});

test("embed one-to-many with embedded order", async (ctx) => {
  const res = await anon(ctx)
    .from("directors")
    .select("name, films(title, year)")
    .eq("name", "Greta Gerwig")
    .order("year", { referencedTable: "films", ascending: false });
  assert.deepEqual(ok(res), [
    {
      name: "Greta Gerwig",
      films: [
        { title: "Barbie", year: 2023 },
        { title: "Lady Bird", year: 2017 },
      ],
    },
  ]);
});

test("embed nested through the junction table", async (ctx) => {
  const res = await anon(ctx)
    .from("films")
    .select("title, roles(character, actors(name))")
    .eq("title", "Arrival")
    .order("character", { referencedTable: "roles" });
  assert.deepEqual(ok(res), [
    {
      title: "Arrival",
      roles: [
        { character: "Ian Donnelly", actors: { name: "Jeremy Renner" } },
        { character: "Louise Banks", actors: { name: "Amy Adams" } },
      ],
    },
  ]);
});

test("embed many-to-many with embedded range", async (ctx) => {
  const res = await anon(ctx)
    .from("films")
    .select("title, cast:actors(name)")
    .eq("title", "Dune")
    .order("name", { referencedTable: "actors" })
    .range(1, 2, { referencedTable: "actors" });
  assert.deepEqual(ok(res), [{ title: "Dune", cast: [{ name: "Timothée Chalamet" }, { name: "Zendaya" }] }]);
});

test("inner embed filters the parent", async (ctx) => {
  const res = await anon(ctx)
    .from("films")
    .select("title, directors!inner(name)")
    .eq("directors.name", "Bong Joon-ho")
    .order("year");
  assert.deepEqual(ok(res), [
    { title: "Memories of Murder", directors: { name: "Bong Joon-ho" } },
    { title: "Parasite", directors: { name: "Bong Joon-ho" } },
  ]);
});

test("spread many-to-one", async (ctx) => {
  const res = await anon(ctx)
    .from("films")
    .select("title, ...directors(director:name, nationality)")
    .eq("year", 2023)
    .order("title");
  assert.deepEqual(ok(res), [
    { title: "Barbie", director: "Greta Gerwig", nationality: "United States" },
    { title: "Oppenheimer", director: "Christopher Nolan", nationality: "United Kingdom" },
  ]);
});

test("spread inside an embed", async (ctx) => {
  const res = await anon(ctx)
    .from("actors")
    .select("name, roles(character, ...films(title, year))")
    .eq("name", "Timothée Chalamet")
    .order("character", { referencedTable: "roles" });
  assert.deepEqual(ok(res), [
    {
      name: "Timothée Chalamet",
      roles: [
        { character: "Kyle Scheible", title: "Lady Bird", year: 2017 },
        { character: "Paul Atreides", title: "Dune", year: 2021 },
      ],
    },
  ]);
});

// -- filters ----------------------------------------------------------------------------------------

test("eq neq and comparisons", async (ctx) => {
  let res = await anon(ctx)
    .from("films")
    .select("title")
    .gt("year", 2015)
    .lte("year", 2019)
    .neq("title", "Lady Bird")
    .order("year");
  assert.deepEqual(titles(ok(res)), ["Arrival", "Parasite"]);
  res = await anon(ctx).from("films").select("title, year").match({ year: 2000, rated: "R" });
  assert.deepEqual(ok(res), [{ title: "Memento", year: 2000 }]);
});

test("in", async (ctx) => {
  const res = await anon(ctx)
    .from("films")
    .select("title")
    .in("title", ["Dune", "Arrival", "Memories of Murder", "Not, a film (really)"])
    .order("year");
  assert.deepEqual(titles(ok(res)), ["Memories of Murder", "Arrival", "Dune"]);
});

test("like and ilike", async (ctx) => {
  const films = () => anon(ctx).from("films").select("title");
  assert.deepEqual(titles(ok(await films().like("title", "Mem%").order("title"))), [
    "Memento",
    "Memories of Murder",
  ]);
  assert.deepEqual(titles(ok(await films().like("title", "*Ar*"))), ["Arrival"]);
  assert.deepEqual(titles(ok(await films().ilike("title", "%AR%").order("title"))), [
    "Arrival",
    "Barbie",
    "Parasite",
  ]);
  assert.deepEqual(titles(ok(await films().ilikeAnyOf("title", ["%locker", "spirited%"]).order("title"))), [
    "Spirited Away",
    "The Hurt Locker",
  ]);
});

test("is null", async (ctx) => {
  const films = () => anon(ctx).from("films").select("title");
  assert.deepEqual(titles(ok(await films().is("rated", null))), ["Memories of Murder"]);
  assert.deepEqual(titles(ok(await films().is("box_office", null).order("title"))), [
    "Memories of Murder",
    "My Neighbor Totoro",
  ]);
});

test("not", async (ctx) => {
  let res = await anon(ctx)
    .from("directors")
    .select("name")
    .not("nationality", "eq", "United States")
    .order("name");
  assert.deepEqual(
    ok(res).map((r) => r.name),
    ["Bong Joon-ho", "Christopher Nolan", "Denis Villeneuve", "Hayao Miyazaki"],
  );
  res = await anon(ctx)
    .from("films")
    .select("title", { count: "exact" })
    .not("box_office", "is", null)
    .limit(1);
  assert.equal(ok(res, 206).length, 1);
  assert.equal(res.count, ALL_FILMS - 2);
  res = await anon(ctx)
    .from("films")
    .select("title")
    .not("year", "in", "(2023,2021,2019,2017,2016,2010,2008)")
    .order("year");
  assert.deepEqual(titles(ok(res)), ["My Neighbor Totoro", "Memento", "Spirited Away", "Memories of Murder"]);
});

test("or", async (ctx) => {
  let res = await anon(ctx).from("films").select("title").or("year.lt.1990,title.eq.Dune").order("year");
  assert.deepEqual(titles(ok(res)), ["My Neighbor Totoro", "Dune"]);
  res = await anon(ctx)
    .from("films")
    .select("title")
    .or("and(year.gte.2020,rated.eq.R),title.like.Mem*")
    .order("title");
  assert.deepEqual(titles(ok(res)), ["Memento", "Memories of Murder", "Oppenheimer"]);
});

test("or on an embedded resource", async (ctx) => {
  const res = await anon(ctx)
    .from("directors")
    .select("name, films(title)")
    .eq("name", "Christopher Nolan")
    .or("year.eq.2000,year.eq.2023", { referencedTable: "films" })
    .order("year", { referencedTable: "films" });
  assert.deepEqual(ok(res), [
    { name: "Christopher Nolan", films: [{ title: "Memento" }, { title: "Oppenheimer" }] },
  ]);
});

test("array and json filters", async (ctx) => {
  let res = await anon(ctx)
    .from("films")
    .select("title")
    .contains("genres", ["thriller", "drama"])
    .order("title");
  assert.deepEqual(titles(ok(res)), ["Parasite", "The Hurt Locker"]);
  res = await anon(ctx).from("films").select("title").overlaps("genres", ["war", "family"]).order("title");
  assert.deepEqual(titles(ok(res)), ["My Neighbor Totoro", "The Hurt Locker"]);
  res = await anon(ctx)
    .from("films")
    .select("title")
    .contains("metadata", { countries: ["CA"] });
  assert.deepEqual(titles(ok(res)), ["Dune"]);
  res = await anon(ctx)
    .from("films")
    .select("title, metadata->>original_title")
    .eq("metadata->>language", "ja")
    .order("year");
  assert.deepEqual(ok(res), [
    { title: "My Neighbor Totoro", original_title: "となりのトトロ" },
    { title: "Spirited Away", original_title: "千と千尋の神隠し" },
  ]);
});

test("embedded filter keeps parents without matches", async (ctx) => {
  const res = await anon(ctx)
    .from("directors")
    .select("name, films(title)")
    .gte("films.year", 2020)
    .order("name");
  assert.deepEqual(ok(res), [
    { name: "Bong Joon-ho", films: [] },
    { name: "Christopher Nolan", films: [{ title: "Oppenheimer" }] },
    { name: "Denis Villeneuve", films: [{ title: "Dune" }] },
    { name: "Greta Gerwig", films: [{ title: "Barbie" }] },
    { name: "Hayao Miyazaki", films: [] },
    { name: "Kathryn Bigelow", films: [] },
  ]);
});

test("text search", async (ctx) => {
  const films = () => anon(ctx).from("films").select("title");
  let res = await films().textSearch("title", "spirited away", { type: "plain", config: "english" });
  assert.deepEqual(titles(ok(res)), ["Spirited Away"]);
  res = await films().textSearch("title", "murder | memento", { config: "english" }).order("title");
  assert.deepEqual(titles(ok(res)), ["Memento", "Memories of Murder"]);
  res = await films().textSearch("title", "neighbor -spirited", { type: "websearch" });
  assert.deepEqual(titles(ok(res)), ["My Neighbor Totoro"]);
});

test("view", async (ctx) => {
  const res = await anon(ctx)
    .from("film_summaries")
    .select("title, director, review_count, average_stars")
    .gte("review_count", 2)
    .order("title");
  assert.deepEqual(ok(res), [
    { title: "Inception", director: "Christopher Nolan", review_count: 2, average_stars: 3.5 },
    { title: "Parasite", director: "Bong Joon-ho", review_count: 2, average_stars: 5.0 },
  ]);
});

test("strip nulls", async (ctx) => {
  const res = await anon(ctx)
    .from("films")
    .select("title, rated, box_office")
    .in("title", ["Memento", "Memories of Murder"])
    .order("title")
    .stripNulls();
  assert.deepEqual(ok(res), [
    { title: "Memento", rated: "R", box_office: 40000000.0 },
    { title: "Memories of Murder" },
  ]);
});

test("stripNulls with single", async (ctx) => {
  const res = await anon(ctx)
    .from("films")
    .select("title, rated")
    .eq("title", "Memories of Murder")
    .single()
    .stripNulls();
  assert.deepEqual(ok(res), { title: "Memories of Murder" });
});

// -- order, range, limit, counts ------------------------------------------------------------------

test("order desc nulls first then title", async (ctx) => {
  const res = await anon(ctx)
    .from("films")
    .select("title, box_office")
    .order("box_office", { ascending: false, nullsFirst: true })
    .order("title")
    .limit(3);
  assert.deepEqual(ok(res), [
    { title: "Memories of Murder", box_office: null },
    { title: "My Neighbor Totoro", box_office: null },
    { title: "Barbie", box_office: 1446000000.0 },
  ]);
});

test("range with exact count", async (ctx) => {
  const res = await anon(ctx).from("actors").select("name", { count: "exact" }).order("name").range(4, 6);
  assert.deepEqual(ok(res, 206), [
    { name: "Emily Blunt" },
    { name: "Guy Pearce" },
    { name: "Jeremy Renner" },
  ]);
  assert.equal(res.count, ALL_ACTORS);
});

test("limit without count", async (ctx) => {
  const res = await anon(ctx).from("actors").select("name").order("name", { ascending: false }).limit(2);
  assert.deepEqual(ok(res), [{ name: "Zendaya" }, { name: "Timothée Chalamet" }]);
  assert.equal(res.count, null);
});

test("exact count with a filter and head", async (ctx) => {
  const res = await anon(ctx).from("films").select("*", { count: "exact", head: true }).gte("year", 2020);
  assert.equal(res.error, null);
  assert.equal(res.status, 200);
  assert.equal(res.data, null);
  assert.equal(res.count, 3);
});

test("exact count follows row level security", async (ctx) => {
  let res = await anon(ctx).from("reviews").select("id", { count: "exact", head: true });
  assert.equal(res.count, PUBLISHED_REVIEWS);
  res = await alice(ctx)
    .from("reviews")
    .select("author, published", { count: "exact" })
    .eq("author", "alice")
    .order("published");
  assert.deepEqual(ok(res), [
    { author: "alice", published: false },
    { author: "alice", published: true },
    { author: "alice", published: true },
    { author: "alice", published: true },
  ]);
  assert.equal(res.count, 4);
});

// -- single and maybeSingle -----------------------------------------------------------------------

test("single", async (ctx) => {
  const res = await anon(ctx)
    .from("films")
    .select("title, year, directors(name)")
    .eq("title", "Parasite")
    .single();
  assert.deepEqual(ok(res), { title: "Parasite", year: 2019, directors: { name: "Bong Joon-ho" } });
});

test("single with many rows is PGRST116", async (ctx) => {
  const res = await anon(ctx).from("films").select("title").single();
  assert.deepEqual(failed(res, 406), {
    code: "PGRST116",
    details: `The result contains ${ALL_FILMS} rows`,
    hint: null,
    message: "Cannot coerce the result to a single JSON object",
  });
});

test("single with no rows is PGRST116", async (ctx) => {
  const res = await anon(ctx).from("films").select("title").eq("title", "Nope").single();
  assert.deepEqual(failed(res, 406), {
    code: "PGRST116",
    details: "The result contains 0 rows",
    hint: null,
    message: "Cannot coerce the result to a single JSON object",
  });
});

test("maybeSingle", async (ctx) => {
  let res = await anon(ctx).from("films").select("title").eq("title", "Nope").maybeSingle();
  assert.equal(ok(res), null);
  res = await anon(ctx).from("films").select("title, year").eq("title", "Dune").maybeSingle();
  assert.deepEqual(ok(res), { title: "Dune", year: 2021 });
  res = await anon(ctx).from("films").select("title").eq("year", 2023).maybeSingle();
  const error = failed(res, 406);
  assert.equal(error.code, "PGRST116");
});

// -- writes, returning the rows -------------------------------------------------------------------

test("insert returning selected columns", async (ctx) => {
  try {
    const res = await alice(ctx)
      .from("actors")
      .insert({ name: "JS Test One", born: "2001-02-03" })
      .select("name, born");
    assert.deepEqual(ok(res, 201), [{ name: "JS Test One", born: "2001-02-03" }]);
    const check = await anon(ctx).from("actors").select("born").eq("name", "JS Test One").single();
    assert.deepEqual(ok(check), { born: "2001-02-03" });
  } finally {
    await removeTestActors(ctx);
  }
});

test("bulk insert with count fills missing columns with null", async (ctx) => {
  try {
    const res = await alice(ctx)
      .from("actors")
      .insert([{ name: "JS Test B" }, { name: "JS Test C", born: "1999-12-31" }], { count: "exact" })
      .select("name, born");
    assert.deepEqual(ok(res, 201), [
      { name: "JS Test B", born: null },
      { name: "JS Test C", born: "1999-12-31" },
    ]);
    assert.equal(res.count, 2);
  } finally {
    await removeTestActors(ctx);
  }
});

test("insert single row", async (ctx) => {
  try {
    const res = await alice(ctx)
      .from("actors")
      .insert({ name: "JS Test Single" })
      .select("name, born")
      .single();
    assert.deepEqual(ok(res, 201), { name: "JS Test Single", born: null });
  } finally {
    await removeTestActors(ctx);
  }
});

test("upsert merges on a unique column", async (ctx) => {
  try {
    ok(await alice(ctx).from("actors").insert({ name: "JS Test Upsert", born: "1980-01-01" }), 201);
    const res = await alice(ctx)
      .from("actors")
      .upsert(
        [
          { name: "JS Test Upsert", born: "1981-01-01" },
          { name: "JS Test Upsert New", born: "1982-01-01" },
        ],
        { onConflict: "name" },
      )
      .select("name, born");
    assert.deepEqual(ok(res, 201), [
      { name: "JS Test Upsert", born: "1981-01-01" },
      { name: "JS Test Upsert New", born: "1982-01-01" },
    ]);
    const count = await anon(ctx)
      .from("actors")
      .select("*", { count: "exact", head: true })
      .like("name", "JS Test Upsert*");
    assert.equal(count.count, 2);
    // Nothing inserted, only merged: 200 rather than 201.
    const merged = await alice(ctx)
      .from("actors")
      .upsert({ name: "JS Test Upsert New", born: "1983-01-01" }, { onConflict: "name" })
      .select("name, born");
    assert.deepEqual(ok(merged, 200), [{ name: "JS Test Upsert New", born: "1983-01-01" }]);
  } finally {
    await removeTestActors(ctx);
  }
});

test("upsert ignoring duplicates returns only new rows", async (ctx) => {
  try {
    ok(await alice(ctx).from("actors").insert({ name: "JS Test Ignored", born: "1980-01-01" }), 201);
    const res = await alice(ctx)
      .from("actors")
      .upsert(
        [
          { name: "JS Test Ignored", born: "1990-01-01" },
          { name: "JS Test Fresh", born: "1991-01-01" },
        ],
        { onConflict: "name", ignoreDuplicates: true },
      )
      .select("name, born");
    assert.deepEqual(ok(res, 201), [{ name: "JS Test Fresh", born: "1991-01-01" }]);
    const kept = await anon(ctx).from("actors").select("born").eq("name", "JS Test Ignored").single();
    assert.deepEqual(ok(kept), { born: "1980-01-01" });
  } finally {
    await removeTestActors(ctx);
  }
});

test("update returning rows", async (ctx) => {
  try {
    ok(
      await alice(ctx)
        .from("actors")
        .insert([{ name: "JS Test U1" }, { name: "JS Test U2" }, { name: "JS Test Other" }]),
      201,
    );
    const res = await alice(ctx)
      .from("actors")
      .update({ born: "2000-01-01" }, { count: "exact" })
      .like("name", "JS Test U*")
      .select("name, born")
      .order("name");
    assert.deepEqual(ok(res), [
      { name: "JS Test U1", born: "2000-01-01" },
      { name: "JS Test U2", born: "2000-01-01" },
    ]);
    assert.equal(res.count, 2);
  } finally {
    await removeTestActors(ctx);
  }
});

test("delete returning rows", async (ctx) => {
  try {
    ok(
      await alice(ctx)
        .from("actors")
        .insert([{ name: "JS Test D1", born: "1970-01-01" }, { name: "JS Test D2" }]),
      201,
    );
    const res = await alice(ctx)
      .from("actors")
      .delete({ count: "exact" })
      .like("name", "JS Test D*")
      .select("name, born")
      .order("name");
    assert.deepEqual(ok(res), [
      { name: "JS Test D1", born: "1970-01-01" },
      { name: "JS Test D2", born: null },
    ]);
    assert.equal(res.count, 2);
    const all = await anon(ctx).from("actors").select("*", { count: "exact", head: true });
    assert.equal(all.count, ALL_ACTORS);
  } finally {
    await removeTestActors(ctx);
  }
});

test("insert with embedded return and row level security", async (ctx) => {
  const body = "JS: a second viewing, done.";
  try {
    const barbie = await filmId(ctx, "Barbie");
    let res = await alice(ctx)
      .from("reviews")
      .insert({ film_id: barbie, stars: 4, body, published: false })
      .select("author, stars, published, films(title)")
      .single();
    assert.deepEqual(ok(res, 201), {
      author: "alice",
      stars: 4,
      published: false,
      films: { title: "Barbie" },
    });
    // A draft: its author reads it, nobody else does.
    assert.deepEqual(ok(await alice(ctx).from("reviews").select("body").eq("body", body)), [{ body }]);
    assert.deepEqual(ok(await bob(ctx).from("reviews").select("body").eq("body", body)), []);
    assert.deepEqual(ok(await anon(ctx).from("reviews").select("body").eq("body", body)), []);
    // Bob can neither change nor delete it: no row matches for him.
    assert.deepEqual(
      ok(await bob(ctx).from("reviews").update({ stars: 1 }).eq("body", body).select("id")),
      [],
    );
    assert.deepEqual(ok(await bob(ctx).from("reviews").delete().eq("body", body).select("id")), []);
    res = await alice(ctx)
      .from("reviews")
      .update({ published: true })
      .eq("body", body)
      .select("author, published");
    assert.deepEqual(ok(res), [{ author: "alice", published: true }]);
    assert.deepEqual(ok(await anon(ctx).from("reviews").select("author").eq("body", body)), [
      { author: "alice" },
    ]);
  } finally {
    const res = await alice(ctx).from("reviews").delete().eq("body", body);
    assert.equal(res.error, null, JSON.stringify(res.error));
  }
});

test("bulk insert with missing default", async (ctx) => {
  const rows = [
    { film_id: 1, stars: 2, body: "JS default published" },
    { film_id: 1, stars: 3, body: "JS explicit published", published: true },
  ];
  try {
    // Missing keys are null by default (the request's columns are the union of the rows' keys) ...
    let res = await alice(ctx).from("reviews").insert(rows);
    assert.deepEqual(failed(res, 400), {
      code: "23502",
      // PostgreSQL leaves the failing row out of the detail on a table with row-level security.
      details: null,
      hint: null,
      message: 'null value in column "published" of relation "reviews" violates not-null constraint',
    });
    // ... and take the column's default with defaultToNull: false (Prefer: missing=default).
    res = await alice(ctx)
      .from("reviews")
      .insert(rows, { defaultToNull: false })
      .select("author, stars, published")
      .order("stars");
    assert.deepEqual(ok(res, 201), [
      { author: "alice", stars: 2, published: false },
      { author: "alice", stars: 3, published: true },
    ]);
  } finally {
    const res = await alice(ctx).from("reviews").delete().like("body", "JS % published");
    assert.equal(res.error, null, JSON.stringify(res.error));
  }
});

test("maxAffected", async (ctx) => {
  try {
    ok(
      await alice(ctx)
        .from("actors")
        .insert([{ name: "JS Test M1" }, { name: "JS Test M2" }]),
      201,
    );
    let res = await alice(ctx)
      .from("actors")
      .update({ born: "2000-01-01" })
      .like("name", "JS Test M*")
      .maxAffected(1);
    assert.deepEqual(failed(res, 400), {
      code: "PGRST124",
      details: "The query affects 2 rows",
      hint: null,
      message: "Query result exceeds max-affected preference constraint",
    });
    res = await anon(ctx).from("actors").select("name, born").like("name", "JS Test M*").order("name");
    assert.deepEqual(ok(res), [
      { name: "JS Test M1", born: null },
      { name: "JS Test M2", born: null },
    ]);
    res = await alice(ctx)
      .from("actors")
      .update({ born: "2000-01-01" })
      .eq("name", "JS Test M1")
      .maxAffected(1)
      .select("name, born");
    assert.deepEqual(ok(res), [{ name: "JS Test M1", born: "2000-01-01" }]);
  } finally {
    await removeTestActors(ctx);
  }
});

// -- RPC --------------------------------------------------------------------------------------------

test("rpc scalar by post and get", async (ctx) => {
  assert.equal(ok(await anon(ctx).rpc("add", { a: 1, b: 2 })), 3);
  assert.equal(ok(await anon(ctx).rpc("add", { a: 40, b: 2 }, { get: true })), 42);
});

test("rpc set with select filter order", async (ctx) => {
  let res = await anon(ctx)
    .rpc("films_by_year", { year: 2023 })
    .select("title, year")
    .order("title", { ascending: false });
  assert.deepEqual(ok(res), [
    { title: "Oppenheimer", year: 2023 },
    { title: "Barbie", year: 2023 },
  ]);
  res = await anon(ctx)
    .rpc("films_by_year", { year: 2023 }, { get: true })
    .select("title")
    .eq("title", "Barbie");
  assert.deepEqual(ok(res), [{ title: "Barbie" }]);
});

test("rpc with exact count and embed", async (ctx) => {
  const res = await anon(ctx)
    .rpc("films_by_year", { year: 2023 }, { count: "exact" })
    .select("title, directors(name)")
    .order("title")
    .limit(1);
  assert.deepEqual(ok(res, 206), [{ title: "Barbie", directors: { name: "Greta Gerwig" } }]);
  assert.equal(res.count, 2);
});

test("rpc single", async (ctx) => {
  const res = await anon(ctx).rpc("films_by_year", { year: 2016 }, { get: true }).select("title").single();
  assert.deepEqual(ok(res), { title: "Arrival" });
});

test("rpc head with count", async (ctx) => {
  const res = await anon(ctx).rpc("films_by_year", { year: 2023 }, { head: true, count: "exact" });
  assert.equal(res.error, null);
  assert.equal(res.data, null);
  assert.equal(res.count, 2);
});

// -- CSV and explain --------------------------------------------------------------------------------

test("csv", async (ctx) => {
  let res = await anon(ctx).from("films").select("title, year").lte("year", 2001).order("year").csv();
  assert.equal(ok(res), 'title,year\n"My Neighbor Totoro",1988\nMemento,2000\n"Spirited Away",2001');
  res = await anon(ctx).from("films").select("title, rated").is("box_office", null).order("title").csv();
  assert.equal(ok(res), 'title,rated\n"Memories of Murder",\n"My Neighbor Totoro",G');
});

test("explain text", async (ctx) => {
  const res = await anon(ctx).from("films").select("title").eq("title", "Dune").explain();
  const plan = ok(res);
  assert.equal(typeof plan, "string");
  assert.match(plan.split("\n")[0], /^Aggregate {2}\(cost=/, plan);
  assert.match(plan, / on films/, plan);
});

function nodes(plan) {
  return [plan, ...(plan.Plans || []).flatMap(nodes)];
}

test("explain json with analyze", async (ctx) => {
  const res = await anon(ctx)
    .from("films")
    .select("title")
    .eq("title", "Dune")
    .explain({ analyze: true, format: "json" });
  const data = ok(res);
  assert.ok(Array.isArray(data) && data.length === 1, JSON.stringify(data));
  const top = data[0].Plan;
  assert.equal(top["Node Type"], "Aggregate");
  assert.equal(top["Actual Rows"], 1);
  assert.equal(top["Actual Loops"], 1);
  const scans = nodes(top).filter((n) => n["Relation Name"] === "films");
  assert.equal(scans.length, 1, JSON.stringify(data));
  assert.equal(scans[0]["Actual Rows"], 1);
});

test("explain of csv", async (ctx) => {
  const plan = ok(await anon(ctx).from("films").select("title").csv().explain());
  assert.equal(typeof plan, "string");
  assert.match(plan.split("\n")[0], /^Aggregate {2}\(cost=/, plan);
});

// -- error objects ----------------------------------------------------------------------------------

test("missing table is PGRST205", async (ctx) => {
  const res = await anon(ctx).from("nope").select("*");
  assert.deepEqual(failed(res, 404), {
    code: "PGRST205",
    details: null,
    hint: null,
    message: "Could not find the table 'api.nope' in the schema cache",
  });
});

test("misspelled table is PGRST205 with a hint", async (ctx) => {
  const res = await anon(ctx).from("film").select("*");
  assert.deepEqual(failed(res, 404), {
    code: "PGRST205",
    details: null,
    hint: "Perhaps you meant the table 'api.films'",
    message: "Could not find the table 'api.film' in the schema cache",
  });
});

test("unique violation is 23505", async (ctx) => {
  const res = await alice(ctx).from("actors").insert({ name: "Guy Pearce" }).select();
  assert.deepEqual(failed(res, 409), {
    code: "23505",
    details: "Key (name)=(Guy Pearce) already exists.",
    hint: null,
    message: 'duplicate key value violates unique constraint "actors_name_key"',
  });
});

test("unique violation thrown with throwOnError", async (ctx) => {
  await assert.rejects(
    async () => await alice(ctx).from("actors").insert({ name: "Zendaya" }).throwOnError(),
    (err) => {
      assert.ok(err instanceof PostgrestError, `not a PostgrestError: ${err}`);
      assert.deepEqual(err.toJSON(), {
        name: "PostgrestError",
        code: "23505",
        details: "Key (name)=(Zendaya) already exists.",
        hint: null,
        message: 'duplicate key value violates unique constraint "actors_name_key"',
      });
      return true;
    },
  );
});

test("foreign key violation is 23503", async (ctx) => {
  const res = await alice(ctx).from("roles").insert({ film_id: 999, actor_id: 1, character: "Nobody" });
  assert.deepEqual(failed(res, 409), {
    code: "23503",
    details: 'Key (film_id)=(999) is not present in table "films".',
    hint: null,
    message: 'insert or update on table "roles" violates foreign key constraint "roles_film_id_fkey"',
  });
});

test("check violation is 23514", async (ctx) => {
  const res = await alice(ctx).from("actors").insert({ name: "", born: "2000-01-01" });
  const error = failed(res, 400);
  assert.equal(error.code, "23514");
  assert.equal(error.message, 'new row for relation "actors" violates check constraint "actors_name_check"');
  assert.match(error.details, /^Failing row contains \(\d+, , 2000-01-01\)\.$/);
  assert.equal(error.hint, null);
});

test("anonymous write is 42501", async (ctx) => {
  const res = await anon(ctx).from("actors").insert({ name: "JS Test Anonymous" });
  assert.deepEqual(failed(res, 401), {
    code: "42501",
    details: null,
    hint: null,
    message: "permission denied for table actors",
  });
});

test("write without the privilege is 42501", async (ctx) => {
  const res = await alice(ctx).from("films").insert({ title: "JS Test Film", year: 2000, director_id: 1 });
  assert.deepEqual(failed(res, 403), {
    code: "42501",
    details: null,
    hint: null,
    message: "permission denied for table films",
  });
});

test("expired JWT is PGRST303", async (ctx) => {
  const expired = new PostgrestClient(ctx.url, {
    schema: "api",
    headers: { Authorization: `Bearer ${ctx.tokens.expired}` },
    retry: false,
  });
  const res = await expired.from("films").select("title");
  assert.deepEqual(failed(res, 401), { code: "PGRST303", details: null, hint: null, message: "JWT expired" });
});

test("schema not exposed is PGRST106", async (ctx) => {
  const res = await anon(ctx).schema("public").from("films").select("title");
  assert.deepEqual(failed(res, 406), {
    code: "PGRST106",
    details: null,
    hint: "Only the following schemas are exposed: api",
    message: "Invalid schema: public",
  });
});

test("unknown column in payload is PGRST204", async (ctx) => {
  const res = await alice(ctx).from("actors").insert({ nam: "JS Test Typo" });
  assert.deepEqual(failed(res, 400), {
    code: "PGRST204",
    details: null,
    hint: null,
    message: "Could not find the 'nam' column of 'actors' in the schema cache",
  });
});

test("unknown embed is PGRST200", async (ctx) => {
  const res = await anon(ctx).from("films").select("title, actor(name)");
  assert.deepEqual(failed(res, 400), {
    code: "PGRST200",
    details:
      "Searched for a foreign key relationship between 'films' and 'actor' in the schema 'api', but no matches were found.",
    hint: "Perhaps you meant 'actors' instead of 'actor'.",
    message: "Could not find a relationship between 'films' and 'actor' in the schema cache",
  });
});

test("rpc with unknown arguments is PGRST202", async (ctx) => {
  const res = await anon(ctx).rpc("add", { a: 1, c: 2 });
  assert.deepEqual(failed(res, 404), {
    code: "PGRST202",
    details:
      "Searched for the function api.add with parameters a, c or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.",
    hint: "Perhaps you meant to call the function api.add(a, b)",
    message: "Could not find the function api.add(a, c) in the schema cache",
  });
});
