package io.ffmepoll.shared;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The server's connections, indexed by the token each carries in {@code epoll_data}: {@code
 * generation << 32 | slot}, never negative (negative tokens name the server's own descriptors).
 * <p>Freeing a slot bumps its generation, so an event for a closed connection whose slot a new
 * connection has taken fails the compare and is dropped: epoll can hand a worker an event for an
 * fd that another thread closes before the worker looks it up.
 * <p>Thread-safe: adds and removes (once per connection) take a lock; the lookup done for every
 * event reads the slot without it, and only a miss confirms under the lock.
 */
final class ConnectionTable {

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(SharedConnection[].class);

    private volatile SharedConnection[] slots = new SharedConnection[64];
    private int[] generations = new int[64];
    private int[] free = new int[64];
    private int freeCount;
    private int used;
    private int live;

    /** Stores {@code c}, sets and returns its token. */
    synchronized long add(SharedConnection c) {
        int slot;
        if (freeCount > 0) {
            slot = free[--freeCount];
        } else {
            if (used == slots.length) {
                slots = Arrays.copyOf(slots, used * 2);
                generations = Arrays.copyOf(generations, used * 2);
            }
            slot = used++;
        }
        c.token = ((long) generations[slot] << 32) | slot;
        SLOT.setRelease(slots, slot, c);
        live++;
        return c.token;
    }

    /** The connection for {@code token}, or null if its slot was freed or reused since. Any thread. */
    SharedConnection get(long token) {
        SharedConnection c = find(slots, token);
        if (c != null) return c;
        synchronized (this) {       // an array grown since this thread last read the field
            return find(slots, token);
        }
    }

    private static SharedConnection find(SharedConnection[] a, long token) {
        int slot = (int) token;
        if (token < 0 || slot < 0 || slot >= a.length) return null;
        SharedConnection c = (SharedConnection) SLOT.getAcquire(a, slot);
        return c != null && c.token == token ? c : null;
    }

    /** Frees the slot of {@code c}; a second call is ignored. */
    synchronized void remove(SharedConnection c) {
        int slot = (int) c.token;
        if (slot >= used || slots[slot] != c) return;
        SLOT.setRelease(slots, slot, null);
        generations[slot] = (generations[slot] + 1) & 0x7fff_ffff;   // keeps tokens non-negative
        if (freeCount == free.length) free = Arrays.copyOf(free, free.length * 2);
        free[freeCount++] = slot;
        live--;
    }

    /** How many connections are stored. */
    synchronized int size() {
        return live;
    }

    /** A snapshot of the stored connections. */
    synchronized List<SharedConnection> snapshot() {
        List<SharedConnection> all = new ArrayList<>(live);
        for (int i = 0; i < used; i++) if (slots[i] != null) all.add(slots[i]);
        return all;
    }
}
