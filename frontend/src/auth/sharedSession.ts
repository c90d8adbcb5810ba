/**
 * The session as the last refresh left it, in IndexedDB: read inside the cross-tab refresh
 * lock, it is never stale. (localStorage reaches other tabs' processes asynchronously, so a
 * tab that takes the lock just after another tab's refresh could still read the spent
 * refresh token there, present it, and have the server revoke the whole session as reused.
 * An IndexedDB write that has completed before the lock is let go is seen by the next
 * reader.) Anything that goes wrong here (no IndexedDB, blocked, slow) answers null, and the
 * caller falls back to localStorage.
 */
const DB = 'beacon';
const STORE = 'session';
const KEY = 'current';
const WAIT_MS = 1_000;

function open(): Promise<IDBDatabase | null> {
  const idb = globalThis.indexedDB as IDBFactory | undefined;
  if (!idb) return Promise.resolve(null);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), WAIT_MS);
    const done = (db: IDBDatabase | null) => {
      clearTimeout(timer);
      resolve(db);
    };
    try {
      const request = idb.open(DB, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => done(request.result);
      request.onerror = () => done(null);
      request.onblocked = () => done(null);
    } catch {
      done(null);
    }
  });
}

export async function readShared<T>(): Promise<T | null> {
  const db = await open();
  if (!db) return null;
  try {
    return await new Promise<T | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), WAIT_MS);
      const request = db.transaction(STORE, 'readonly').objectStore(STORE).get(KEY);
      request.onsuccess = () => {
        clearTimeout(timer);
        resolve((request.result as T | undefined) ?? null);
      };
      request.onerror = () => {
        clearTimeout(timer);
        resolve(null);
      };
    });
  } catch {
    return null;
  } finally {
    db.close();
  }
}

/** Store `value` (null: forget it); resolves once the write is durable, or gave up. */
export async function writeShared(value: unknown): Promise<void> {
  const db = await open();
  if (!db) return;
  try {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, WAIT_MS);
      const tx = db.transaction(STORE, 'readwrite');
      const store = tx.objectStore(STORE);
      if (value == null) store.delete(KEY);
      else store.put(value, KEY);
      const finish = () => {
        clearTimeout(timer);
        resolve();
      };
      tx.oncomplete = finish;
      tx.onerror = finish;
      tx.onabort = finish;
    });
  } catch {
    // nothing shared: localStorage still carries the session
  } finally {
    db.close();
  }
}
