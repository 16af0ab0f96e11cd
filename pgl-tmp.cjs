const { PGlite } = require('@electric-sql/pglite');
(async () => {
  const db = await PGlite.create(); await db.exec('create table c (k int)');
  for (let i = 0; i < 3; i++) { const t = Date.now(); const c = await db.clone(); console.log('clone', Date.now() - t, (await c.query('select count(*) from c')).rows); }
  let t = Date.now(); await db.exec('drop schema public cascade; create schema public;'); console.log('reset', Date.now()-t);
  t = Date.now(); const d = await db.dumpDataDir('none'); console.log('dump', Date.now()-t, d.size);
  t = Date.now(); const e = await PGlite.create({ loadDataDir: d }); console.log('load', Date.now()-t);
})();
