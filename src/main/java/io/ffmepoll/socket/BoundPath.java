package io.ffmepoll.socket;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * The socket file a bind(2) to a filesystem path created, removed when the socket closes.
 * <p>The kernel never removes socket files, and a leftover file makes the next bind fail with
 * EADDRINUSE. The file is removed only if it is still the one this socket created (same
 * device and inode): a newer server that replaced it keeps its own.
 */
final class BoundPath {

    private final Path path;
    private final Object fileKey;

    private BoundPath(Path path, Object fileKey) {
        this.path = path;
        this.fileKey = fileKey;
    }

    /** Records the file just bound at {@code local}, or null for abstract and unnamed addresses. */
    static BoundPath after(SocketAddress local) {
        if (!(local instanceof UnixDomainSocketAddress unix) || unix.getPath().toString().isEmpty()) return null;
        Path path = unix.getPath();
        try {
            return new BoundPath(path, attributes(path).fileKey());
        } catch (IOException e) {
            return null;   // already gone or unreadable: nothing we could safely remove later
        }
    }

    private static BasicFileAttributes attributes(Path path) throws IOException {
        return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    }

    /** Removes the file if it is still ours; never throws (called while closing). */
    void unlink() {
        try {
            if (fileKey != null && Objects.equals(fileKey, attributes(path).fileKey())) Files.deleteIfExists(path);
        } catch (IOException | SecurityException e) {
            // Removed or replaced meanwhile: not ours to delete any more.
        }
    }
}
