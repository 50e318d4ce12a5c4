package io.ffmepoll.reactor;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * The loop's registrations, indexed by the token each one carries in {@code epoll_data}.
 * <p>A token is {@code generation << 32 | slot}. Freeing a slot bumps its generation, so an
 * event still queued in the kernel for a closed fd (epoll can report an fd in the same wait in
 * which an earlier event closed it, and a new fd may already have the same number and slot)
 * fails the generation compare and is dropped: an array index and an int compare, no map.
 * <p>Owned by the loop thread; not thread-safe.
 */
final class TokenTable {

    private Registration[] slots = new Registration[64];
    private int[] generations = new int[64];
    private int[] free = new int[64];
    private int freeCount;
    private int used;   // slots handed out at least once: [0, used)
    private int live;

    /** Stores {@code r} and returns its token. */
    long add(Registration r) {
        int slot;
        if (freeCount > 0) {
            slot = free[--freeCount];
        } else {
            if (used == slots.length) grow();
            slot = used++;
        }
        slots[slot] = r;
        live++;
        return ((long) generations[slot] << 32) | slot;
    }

    /** The registration for {@code token}, or null if its slot was freed or reused since. */
    Registration get(long token) {
        int slot = (int) token;
        if (slot < 0 || slot >= used) return null;
        Registration r = slots[slot];
        return r != null && generations[slot] == (int) (token >>> 32) ? r : null;
    }

    /** Frees the slot of {@code token}; a stale token is ignored. */
    void remove(long token) {
        int slot = (int) token;
        if (get(token) == null) return;
        slots[slot] = null;
        generations[slot]++;
        if (freeCount == free.length) free = Arrays.copyOf(free, free.length * 2);
        free[freeCount++] = slot;
        live--;
    }

    /** How many registrations are stored. */
    int size() {
        return live;
    }

    /** Calls {@code action} on a snapshot of the registrations (it may remove them). */
    void forEach(Consumer<Registration> action) {
        Registration[] snapshot = new Registration[live];
        int k = 0;
        for (int i = 0; i < used && k < snapshot.length; i++) {
            if (slots[i] != null) snapshot[k++] = slots[i];
        }
        for (int i = 0; i < k; i++) action.accept(snapshot[i]);
    }

    private void grow() {
        int n = slots.length * 2;
        slots = Arrays.copyOf(slots, n);
        generations = Arrays.copyOf(generations, n);
    }
}
