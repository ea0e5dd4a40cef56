#!/usr/bin/env python3
"""NanaSQLite's encrypted-value format, written and read as its rules say,
for test/crypt-interop-python-writes-c-reads-and-c-writes-python-reads.c.

An implementation of its own (Python's sqlite3 and the cryptography
package), independent of the library's C code, following NanaSQLite 1.6.0
(src/nanasqlite/core.py: __init__, _serialize, _deserialize):

  - the table is NanaSQLite's: CREATE TABLE IF NOT EXISTS "<t>"
    (key TEXT PRIMARY KEY, value TEXT), rows written with INSERT OR REPLACE;
  - a value is its JSON text (json.dumps(value, ensure_ascii=False) when
    orjson is absent: ", " and ": " separators, non-ASCII kept) in UTF-8,
    sealed with AESGCM or ChaCha20Poly1305 under the key as given (no key
    derivation) with a fresh os.urandom(12) nonce and no associated data,
    and stored as the bytes nonce + ciphertext-and-tag: a BLOB;
  - reading refuses what is not such a BLOB, and one shorter than 28 bytes,
    and fails on a tag that does not verify.

Usage:
  nanasqlite-crypt.py write DB MODE KEYHEX TABLE... < object.json
      stores each member of the JSON object read from stdin under its name,
      in each TABLE
  nanasqlite-crypt.py read DB MODE KEYHEX TABLE...
      prints {"TABLE": {key: value, ...}, ...}: every row of each TABLE,
      decrypted; exit status 1 and a message on stderr if any row does not
      decrypt
MODE is aes-gcm or chacha20, NanaSQLite's names.  (One run does several
tables: a Python start costs more than the work.)
"""
import json
import os
import sqlite3
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

NONCE_LEN = 12
TAG_LEN = 16


def aead(mode, key):
    if mode == "aes-gcm":
        return AESGCM(key)
    if mode == "chacha20":
        return ChaCha20Poly1305(key)
    raise SystemExit(f"unknown mode {mode!r}")


def write(path, table, cipher, values):
    conn = sqlite3.connect(path)
    conn.execute(f'CREATE TABLE IF NOT EXISTS "{table}" (key TEXT PRIMARY KEY, value TEXT)')
    for key, value in values.items():
        nonce = os.urandom(NONCE_LEN)
        data = json.dumps(value, ensure_ascii=False).encode("utf-8")
        conn.execute(f'INSERT OR REPLACE INTO "{table}" (key, value) VALUES (?, ?)',
                     (key, nonce + cipher.encrypt(nonce, data, None)))
    conn.commit()
    conn.close()


def read(path, table, cipher):
    conn = sqlite3.connect(path)
    out = {}
    for key, stored in conn.execute(f'SELECT key, value FROM "{table}" ORDER BY rowid'):
        if not isinstance(stored, bytes):
            raise SystemExit(f"{key!r}: stored as {type(stored).__name__}, not encrypted")
        if len(stored) < NONCE_LEN + TAG_LEN:
            raise SystemExit(f"{key!r}: {len(stored)} bytes, too short")
        try:
            plain = cipher.decrypt(stored[:NONCE_LEN], stored[NONCE_LEN:], None)
        except InvalidTag:
            raise SystemExit(f"{key!r}: the tag does not verify")
        out[key] = json.loads(plain.decode("utf-8"))
    conn.close()
    return out


def main():
    if len(sys.argv) < 6 or sys.argv[1] not in ("write", "read"):
        raise SystemExit(__doc__)
    verb, path, mode, keyhex = sys.argv[1:5]
    tables = sys.argv[5:]
    cipher = aead(mode, bytes.fromhex(keyhex))
    if verb == "write":
        values = json.load(sys.stdin)
        for table in tables:
            write(path, table, cipher, values)
    else:
        out = {table: read(path, table, cipher) for table in tables}
        json.dump(out, sys.stdout, ensure_ascii=False, sort_keys=True)
        sys.stdout.write("\n")


if __name__ == "__main__":
    main()
