import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileDdl } from '../../src/store/sql/migrations.ts';
import { sql, sqlByDialect } from '../../src/store/sql/statement.ts';

describe('SQL written once, compiled per dialect', () => {
  const statement = sql(
    `SELECT count(*)::int AS n, ':kept' AS literal FROM t
     WHERE (:limit::integer IS NULL OR n < :limit::integer) AND flag = :flag::boolean AND a = :a ORDER BY name COLLATE "C"`,
  );

  it('PostgreSQL: $n by first appearance, one number per name, casts and collation kept', () => {
    assert.deepEqual(statement.for('postgres'), {
      text: `SELECT count(*)::int AS n, ':kept' AS literal FROM t
     WHERE ($1::integer IS NULL OR n < $1::integer) AND flag = $2::boolean AND a = $3 ORDER BY name COLLATE "C"`,
      names: ['limit', 'flag', 'a'],
      booleans: ['flag'],
    });
  });

  it('SQLite: :name kept, casts and COLLATE "C" dropped, string literals untouched', () => {
    assert.equal(
      statement.for('sqlite').text,
      `SELECT count(*) AS n, ':kept' AS literal FROM t
     WHERE (:limit IS NULL OR n < :limit) AND flag = :flag AND a = :a ORDER BY name`,
    );
    assert.deepEqual(statement.for('sqlite').booleans, ['flag']);
  });

  it('a statement that differs by dialect compiles each text for its own dialect', () => {
    const both = sqlByDialect({ sqlite: 'SELECT :x', postgres: 'SELECT :x::text FOR UPDATE' });
    assert.equal(both.for('sqlite').text, 'SELECT :x');
    assert.equal(both.for('postgres').text, 'SELECT $1::text FOR UPDATE');
  });

  it('DDL: PostgreSQL types as SQLite names them; WITHOUT ROWID for SQLite only', () => {
    const ddl = `CREATE TABLE t (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at BIGINT NOT NULL, on BOOLEAN NOT NULL DEFAULT TRUE,
  off BOOLEAN NOT NULL DEFAULT FALSE, key VARCHAR(255)
) WITHOUT ROWID;`;
    assert.equal(
      compileDdl(ddl, 'sqlite'),
      `CREATE TABLE t (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, on INTEGER NOT NULL DEFAULT 1,
  off INTEGER NOT NULL DEFAULT 0, key TEXT
) WITHOUT ROWID;`,
    );
    assert.match(compileDdl(ddl, 'postgres'), /key VARCHAR\(255\)\n\);$/);
  });
});
