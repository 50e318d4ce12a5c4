package io.ffmepoll.socket;

/**
 * The process at the other end of a Unix domain socket, as the kernel recorded it when the
 * connection was made ({@code SO_PEERCRED}): not what the peer claims, so usable for access
 * control.
 * {@snippet :
 * PeerCredentials who = stream.peerCredentials();
 * if (who.uid() != 0) stream.close();     // only root may talk to us
 * }
 * @param pid the peer's process id (in our pid namespace)
 * @param uid the peer's effective user id (unsigned in C; compare with {@code Integer.toUnsignedLong})
 * @param gid the peer's effective group id
 */
public record PeerCredentials(int pid, int uid, int gid) {}
